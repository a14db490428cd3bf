package main

import (
	"encoding/json"
	"fmt"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/urfave/cli/v2"
)

// flowFacts is what `tcplab analyze` reports for one TCP connection.
type flowFacts struct {
	Client          string  `json:"client"`
	Server          string  `json:"server"`
	Handshake       bool    `json:"handshake"`
	HandshakeRTTms  float64 `json:"handshake_rtt_ms,omitempty"`
	ClientMSS       int     `json:"client_mss,omitempty"`
	ServerMSS       int     `json:"server_mss,omitempty"`
	ClientWScale    int     `json:"client_wscale"`
	ServerWScale    int     `json:"server_wscale"`
	SACK            bool    `json:"sack"`
	Timestamps      bool    `json:"timestamps"`
	TFOCookieReq    bool    `json:"tfo_cookie_requested,omitempty"`
	TFOCookieLen    int     `json:"tfo_cookie_len,omitempty"`
	SYNDataBytes    int     `json:"syn_data_bytes,omitempty"`
	BytesToServer   int     `json:"bytes_to_server"`
	BytesToClient   int     `json:"bytes_to_client"`
	RetransToServer int     `json:"retransmissions_to_server"`
	RetransToClient int     `json:"retransmissions_to_client"`
	FINs            int     `json:"fins"`
	RSTs            int     `json:"rsts"`
	ActiveCloser    string  `json:"active_closer,omitempty"`
	TimeWaitHolder  string  `json:"time_wait_holder,omitempty"`
}

func analyzeCommand() *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "the TCP facts of any pcap or pcapng file: handshakes and their options, data, retransmissions, FIN vs RST",
		ArgsUsage: "FILE",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return cli.Exit("tcplab analyze: want exactly one FILE (pcap or pcapng)", exitCannotRun)
			}
			pkts, err := capture.ReadFile(c.Args().First())
			if err != nil {
				return cli.Exit(fmt.Sprintf("tcplab analyze: %v", err), exitCannotRun)
			}
			frames := make([]analyze.Frame, len(pkts))
			for i, p := range pkts {
				frames[i] = analyze.Frame{Time: p.Time, LinkType: p.LinkType, Data: p.Data}
			}
			segs, err := analyze.Decode(frames)
			if err != nil {
				return cli.Exit(fmt.Sprintf("tcplab analyze: %v", err), exitCannotRun)
			}
			var facts []flowFacts
			for _, f := range analyze.Flows(segs) {
				facts = append(facts, factsOf(f))
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				if facts == nil {
					facts = []flowFacts{}
				}
				return enc.Encode(map[string]any{"packets": len(pkts), "tcp_segments": len(segs), "flows": facts})
			}
			w := c.App.Writer
			fmt.Fprintf(w, "%d packets, %d TCP segments, %d connections\n", len(pkts), len(segs), len(facts))
			for i, f := range facts {
				fmt.Fprintf(w, "\n#%d %s → %s\n", i+1, f.Client, f.Server)
				if f.Handshake {
					fmt.Fprintf(w, "  handshake   SYN → SYN/ACK %.3f ms; MSS %d/%d, wscale %d/%d, SACK %v, timestamps %v\n",
						f.HandshakeRTTms, f.ClientMSS, f.ServerMSS, f.ClientWScale, f.ServerWScale, f.SACK, f.Timestamps)
					if f.TFOCookieReq || f.TFOCookieLen > 0 || f.SYNDataBytes > 0 {
						fmt.Fprintf(w, "  fast open   cookie requested %v, cookie %d bytes, %d data bytes in the SYN\n",
							f.TFOCookieReq, f.TFOCookieLen, f.SYNDataBytes)
					}
				} else {
					fmt.Fprintf(w, "  handshake   not captured\n")
				}
				fmt.Fprintf(w, "  data        %d bytes to the server, %d to the client; retransmissions %d / %d\n",
					f.BytesToServer, f.BytesToClient, f.RetransToServer, f.RetransToClient)
				fmt.Fprintf(w, "  close       %d FIN, %d RST; first closer %s; TIME_WAIT on %s\n",
					f.FINs, f.RSTs, orNone(f.ActiveCloser), orNone(f.TimeWaitHolder))
			}
			return nil
		},
	}
}

func factsOf(f *analyze.Flow) flowFacts {
	ff := flowFacts{
		Client: f.Client.String(), Server: f.Server.String(),
		BytesToServer: f.Bytes(true), BytesToClient: f.Bytes(false),
		RetransToServer: f.Retransmissions(true), RetransToClient: f.Retransmissions(false),
	}
	if hs, ok := f.Handshake(); ok {
		ff.Handshake = true
		ff.HandshakeRTTms = float64(hs.RTT.Microseconds()) / 1000
		ff.ClientMSS, ff.ServerMSS = hs.ClientOpts.MSS, hs.ServerOpts.MSS
		ff.ClientWScale, ff.ServerWScale = hs.ClientOpts.WScale, hs.ServerOpts.WScale
		ff.SACK = hs.ClientOpts.SACKPerm && hs.ServerOpts.SACKPerm
		ff.Timestamps = hs.ClientOpts.HasTS && hs.ServerOpts.HasTS
		ff.TFOCookieReq, ff.TFOCookieLen, ff.SYNDataBytes = hs.CookieRequested, hs.CookieLen, hs.SYNData
	}
	td := f.Teardown()
	ff.FINs, ff.RSTs, ff.ActiveCloser, ff.TimeWaitHolder = td.FINs, td.RSTs, td.ActiveCloser, td.TimeWaitHolder
	return ff
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
