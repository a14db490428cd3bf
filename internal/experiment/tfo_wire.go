package experiment

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// tfoWireConn is what the two captures say about one connection.
type tfoWireConn struct {
	found     bool // the flow is in the client-side capture
	handshake bool // its SYN and SYN/ACK were captured

	synData        int    // payload bytes of the SYN
	cookieReq      bool   // the SYN's TFO option is empty: a cookie request
	cookieSent     []byte // the cookie the SYN presented (nil: no TFO option or a request)
	synTFO         bool   // the SYN carries a TFO option at all
	cookieGranted  []byte // the cookie the SYN/ACK granted
	synAckAcksData bool   // the SYN/ACK's ack covers the SYN and all its data
	synTS, ackTS   bool   // timestamps option on the SYN and on the SYN/ACK
	synAckData     int    // payload bytes of the SYN/ACK
	reqInSYN       bool   // the request's first byte rode in the SYN
	reqAfterHS     bool   // the request's first byte came in a later segment, after the SYN/ACK
	rtt            time.Duration
	ttfb           time.Duration // SYN → first response byte, at the client
	respGap        time.Duration // SYN/ACK → first response byte, at the client

	think time.Duration // SYN/ACK → request at the client (0 when the request rode in the SYN)

	srvFound         bool          // the flow's handshake and response are in the server-side capture
	serverTime       time.Duration // request's arrival → response's departure, at the server
	srvRespBeforeACK bool          // at the server, the response left before the handshake's ACK arrived
	srvLead          time.Duration // ACK arrival − response departure at the server (negative: after)
}

// tfoWire is the wire's view of every connection, in the order of the run.
type tfoWire struct{ fastOpen, plain []tfoWireConn }

// observeFastOpen matches every connection to its flow in both captures by
// the client's address, reads what the SYNs and SYN/ACKs carry, and
// annotates the packets for Wireshark.
func observeFastOpen(run *tfoRun, cli, srv []capture.Packet) tfoWire {
	cflows := tfoFlowsByClient(cli)
	sflows := tfoFlowsByClient(srv)
	var w tfoWire
	for _, c := range run.fastOpen {
		w.fastOpen = append(w.fastOpen, readTFOFlow(c, cflows[c.local.String()], sflows[c.local.String()], cli, srv))
	}
	for _, c := range run.plain {
		w.plain = append(w.plain, readTFOFlow(c, cflows[c.local.String()], sflows[c.local.String()], cli, srv))
	}
	return w
}

// tfoFlowsByClient decodes pkts and indexes the first flow of each client
// address.
func tfoFlowsByClient(pkts []capture.Packet) map[string]*analyze.Flow {
	segs, _ := analyze.Decode(Frames(pkts))
	out := map[string]*analyze.Flow{}
	for _, f := range analyze.Flows(segs) {
		if _, dup := out[f.Client.String()]; !dup {
			out[f.Client.String()] = f
		}
	}
	return out
}

// tfoLabel names a connection in comments: "TFO #2 (sendto MSG_FASTOPEN)".
func tfoLabel(c *tfoConn) string {
	if c.style == tfoStylePlain {
		return fmt.Sprintf("plain #%d", c.k)
	}
	return fmt.Sprintf("TFO #%d (%v)", c.k, c.style)
}

func readTFOFlow(c *tfoConn, f, sf *analyze.Flow, cli, srv []capture.Packet) tfoWireConn {
	var w tfoWireConn
	if f == nil {
		return w
	}
	w.found = true
	note := func(pkts []capture.Packet, s *analyze.Segment, text string) {
		if s != nil && s.Index >= 0 && s.Index < len(pkts) {
			pkts[s.Index].Comment = text
		}
	}
	hs, ok := f.Handshake()
	if !ok {
		return w
	}
	w.handshake = true
	w.synData = hs.SYNData
	w.synTFO = hs.ClientOpts.TFO != nil
	w.cookieReq = hs.CookieRequested
	if t := hs.ClientOpts.TFO; t != nil && !t.Request {
		w.cookieSent = t.Cookie
	}
	if t := hs.ServerOpts.TFO; t != nil {
		w.cookieGranted = t.Cookie
	}
	w.synAckAcksData = hs.SYNDataAcked
	w.synTS, w.ackTS = hs.ClientOpts.HasTS, hs.ServerOpts.HasTS
	w.synAckData = hs.SYNACK.Payload
	w.rtt = hs.RTT

	label := tfoLabel(c)
	note(cli, hs.SYN, fmt.Sprintf("%s SYN — %s; options: %s", label, tfoSynCarries(hs), tfoOptionsText(hs.ClientOpts)))
	note(cli, hs.SYNACK, fmt.Sprintf("%s SYN/ACK, %.2f ms after the SYN (1 RTT) — %s; options: %s",
		label, ms(hs.RTT), tfoSynAckCarries(hs), tfoOptionsText(hs.ServerOpts)))

	if req := f.Data(true); len(req) > 0 {
		first := req[0]
		w.reqInSYN = first.SYN
		w.reqAfterHS = !first.SYN && !first.Time.Before(hs.SYNACK.Time)
		if !first.SYN {
			w.think = first.Time.Sub(hs.SYNACK.Time)
			why := "the handshake's round trip was paid first"
			if c.style != tfoStylePlain {
				why = "no cookie yet, so this connection saves nothing"
			}
			note(cli, &req[0], fmt.Sprintf("%s request (%d bytes) after the handshake, %.2f ms after the SYN — %s",
				label, first.Payload, ms(first.Time.Sub(hs.SYN.Time)), why))
		}
	}
	if hs.ACK != nil && hs.ACK.Payload == 0 {
		note(cli, hs.ACK, fmt.Sprintf("%s ACK — completes the handshake", label))
	}
	if resp := f.Data(false); len(resp) > 0 {
		w.ttfb = resp[0].Time.Sub(hs.SYN.Time)
		w.respGap = resp[0].Time.Sub(hs.SYNACK.Time)
		note(cli, &resp[0], fmt.Sprintf("%s first response byte, %.2f ms after the SYN (%.2f RTT), %.2f ms after the SYN/ACK — TTFB",
			label, ms(w.ttfb), float64(w.ttfb)/float64(hs.RTT), ms(w.respGap)))
	}
	tfoReadServerSide(&w, c, sf, srv, note)
	return w
}

// tfoReadServerSide reads the order of events at the server: did the response
// leave before the client's ACK of the SYN/ACK arrived?
func tfoReadServerSide(w *tfoWireConn, c *tfoConn, sf *analyze.Flow, srv []capture.Packet, note func([]capture.Packet, *analyze.Segment, string)) {
	if sf == nil {
		return
	}
	hs, ok := sf.Handshake()
	req, resp := sf.Data(true), sf.Data(false)
	if !ok || hs.ACK == nil || len(req) == 0 || len(resp) == 0 {
		return
	}
	w.srvFound = true
	w.serverTime = resp[0].Time.Sub(req[0].Time)
	w.srvLead = hs.ACK.Time.Sub(resp[0].Time)
	w.srvRespBeforeACK = w.srvLead > 0
	label := tfoLabel(c)
	note(srv, hs.SYN, fmt.Sprintf("%s SYN arrives — %s", label, tfoSynCarries(hs)))
	note(srv, hs.SYNACK, fmt.Sprintf("%s SYN/ACK leaves — %s", label, tfoSynAckCarries(hs)))
	if w.srvRespBeforeACK {
		note(srv, &resp[0], fmt.Sprintf("%s response leaves %.2f ms after the request arrived in the SYN, %.2f ms before the client's ACK arrives — answered in the server's first flight",
			label, ms(w.serverTime), ms(w.srvLead)))
	} else {
		note(srv, &resp[0], fmt.Sprintf("%s response leaves %.2f ms after the request arrived, %.2f ms after the handshake's ACK", label, ms(w.serverTime), ms(-w.srvLead)))
	}
	if !req[0].SYN {
		note(srv, &req[0], fmt.Sprintf("%s request (%d bytes) arrives after the handshake", label, req[0].Payload))
	}
	if hs.ACK.Payload == 0 {
		note(srv, hs.ACK, fmt.Sprintf("%s ACK of the SYN/ACK arrives, %.2f ms (1 RTT) after the SYN/ACK left", label, ms(hs.ACK.Time.Sub(hs.SYNACK.Time))))
	}
}

// tfoSynCarries says what a SYN carries for Fast Open.
func tfoSynCarries(hs analyze.Handshake) string {
	t := hs.ClientOpts.TFO
	switch {
	case t == nil && hs.SYNData == 0:
		return "no Fast Open option, no data"
	case t == nil:
		return fmt.Sprintf("%d data bytes without a cookie", hs.SYNData)
	case t.Request && hs.SYNData == 0:
		return "asks for a cookie: TFO option (kind 34) empty, no data"
	case t.Request:
		return fmt.Sprintf("asks for a cookie and carries %d data bytes", hs.SYNData)
	case hs.SYNData == 0:
		return fmt.Sprintf("presents cookie %s, no data", hex.EncodeToString(t.Cookie))
	}
	return fmt.Sprintf("presents cookie %s (%d bytes) and carries the %d-byte request", hex.EncodeToString(t.Cookie), len(t.Cookie), hs.SYNData)
}

// tfoSynAckCarries says what a SYN/ACK carries for Fast Open.
func tfoSynAckCarries(hs analyze.Handshake) string {
	var parts []string
	if t := hs.ServerOpts.TFO; t != nil {
		parts = append(parts, fmt.Sprintf("grants a cookie of %d bytes, %s", len(t.Cookie), hex.EncodeToString(t.Cookie)))
	}
	switch {
	case hs.SYNDataAcked:
		parts = append(parts, fmt.Sprintf("acknowledges the SYN and its %d data bytes (ack = ISN+1+%d)", hs.SYNData, hs.SYNData))
	case hs.SYNData > 0:
		parts = append(parts, fmt.Sprintf("acknowledges only the SYN, not its %d data bytes", hs.SYNData))
	default:
		parts = append(parts, "acknowledges the SYN")
	}
	if !hs.ServerOpts.HasTS {
		parts = append(parts, "no timestamps option")
	}
	return strings.Join(parts, "; ")
}

// tfoOptionsText lists a SYN's or SYN/ACK's options.
func tfoOptionsText(o analyze.Options) string {
	var parts []string
	if o.MSS > 0 {
		parts = append(parts, fmt.Sprintf("MSS %d", o.MSS))
	}
	if o.SACKPerm {
		parts = append(parts, "SACK-permitted")
	}
	if o.HasTS {
		parts = append(parts, "TS")
	}
	if o.WScale >= 0 {
		parts = append(parts, fmt.Sprintf("WS %d", o.WScale))
	}
	if o.TFO != nil {
		if o.TFO.Request {
			parts = append(parts, "TFO cookie request")
		} else {
			parts = append(parts, fmt.Sprintf("TFO cookie %d bytes", len(o.TFO.Cookie)))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// tfoServerPcapPath is where the server-side capture goes: beside the
// client-side one, with "-server" before the extension.
func tfoServerPcapPath(clientPath string) string {
	if base, ok := strings.CutSuffix(clientPath, ".pcapng"); ok {
		return base + "-server.pcapng"
	}
	return clientPath + "-server.pcapng"
}

// tfoWritePcap writes an extra annotated capture and records it under key
// in the result's artifacts.
func tfoWritePcap(r *Result, key, path string, pkts []capture.Packet) error {
	if err := capture.WritePcapng(path, pkts); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	r.Artifacts[key] = path
	return nil
}

// timed reports whether the captures hold every moment the decomposition
// of the first-byte time needs.
func (w tfoWireConn) timed() bool { return w.handshake && w.ttfb > 0 && w.srvFound }

// network is the part of the first-byte time the packets spent on the
// link: SYN → first response byte at the client, minus the client's time
// between SYN/ACK and request and the server's time between request and
// response. The model says it is a whole number of RTTs.
func (w tfoWireConn) network() time.Duration { return w.ttfb - w.think - w.serverTime }
