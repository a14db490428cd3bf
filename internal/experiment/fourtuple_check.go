package experiment

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/timewait"
	"golang.org/x/sys/unix"
)

// ftFields names the four values of a 4-tuple, in RFC 9293 order of the
// connection identifier (local socket, remote socket) from the client.
var ftFields = [4]string{"client address", "client port", "server address", "server port"}

// ftCompare returns how many of the four values a and b share, and the
// names of the ones they do not.
func ftCompare(a, b ftTuple) (shared int, differ []string) {
	same := [4]bool{
		a.Client.Addr() == b.Client.Addr(),
		a.Client.Port() == b.Client.Port(),
		a.Server.Addr() == b.Server.Addr(),
		a.Server.Port() == b.Server.Port(),
	}
	for i, s := range same {
		if s {
			shared++
		} else {
			differ = append(differ, ftFields[i])
		}
	}
	return shared, differ
}

// ftDistinct reports whether the tuples are pairwise distinct, and the
// first pair that is not.
func ftDistinct(ts []ftTuple) (ok bool, i, j int) {
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			if ts[i] == ts[j] {
				return false, i, j
			}
		}
	}
	return true, -1, -1
}

// observeFourTupleWire finds each connection's flow by the client kernel's
// 4-tuple and reads its SYN; it also counts the SYNs that ever carried the
// base's tuple.
func observeFourTupleWire(flows []*analyze.Flow, segs []analyze.Segment, obs *ftObserved) {
	for _, c := range obs.conns {
		for _, f := range flows {
			if f.Client != c.sockname || f.Server != c.peername {
				continue
			}
			if hs, ok := f.Handshake(); ok && hs.ACK != nil {
				c.wireFound = true
				c.wire = ftTuple{hs.SYN.Src, hs.SYN.Dst}
				c.synIndex = hs.SYN.Index
			}
		}
	}
	isns := map[uint32]bool{}
	for _, s := range segs {
		if s.SYN && !s.ACK && s.Src == obs.dupTuple.Client && s.Dst == obs.dupTuple.Server {
			isns[s.Seq] = true
		}
	}
	obs.baseSYNs = len(isns)
}

// annotateFourTuple comments every connection's SYN with its tuple and how
// it relates to the base.
func annotateFourTuple(pkts []capture.Packet, obs *ftObserved) {
	base := obs.conns[0]
	for _, c := range obs.conns {
		if !c.wireFound || c.synIndex < 0 || c.synIndex >= len(pkts) {
			continue
		}
		text := fmt.Sprintf("SYN of %s: %v", c.label, c.wire)
		if c != base {
			n, differ := ftCompare(c.wire, base.wire)
			text += fmt.Sprintf(" — shares %d of 4 values with base, differs in the %s; base is still open", n, strings.Join(differ, ", "))
		} else {
			text += fmt.Sprintf(" — base connection; a second connect(2) to the same 4-tuple later fails with %s and sends nothing", errnoName(obs.dupConnectErrno))
		}
		pkts[c.synIndex].Comment = text
	}
}

func errnoName(e unix.Errno) string {
	if e == 0 {
		return "no error"
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}

// check compares the wire and both kernels with C1.
func (x *FourTuple) check(r *Result, obs *ftObserved) {
	const claim = "C1: "
	n := len(obs.conns)
	base := obs.conns[0]
	r.Model = fmt.Sprintf("TCP finds a connection by four values: client address, client port, server address, "+
		"server port (RFC 9293 §3.1). %d connections are opened at once: a base, and one per value that differs from the base "+
		"in that value only — the client binds a fixed port with SO_REUSEADDR to reuse it. All %d coexist with distinct tuples; "+
		"a second connection with all four values of the base is refused by the client's kernel before any SYN "+
		"(inet_hash_connect → EADDRNOTAVAIL).", n, n)

	var wire, kern, srv []ftTuple
	wireOK, srvOK, censusOK := 0, 0, 0
	matchOK := true
	var mismatches []string
	for _, c := range obs.conns {
		if c.wireFound {
			wireOK++
			wire = append(wire, c.wire)
		}
		kern = append(kern, c.kernel())
		if c.srvFound {
			srvOK++
			srv = append(srv, c.server())
		}
		inClient := ftInCensus(obs.censusClient, c.sockname, c.peername)
		inServer := c.srvFound && ftInCensus(obs.censusServer, c.srvLocal, c.srvPeer)
		if inClient && inServer {
			censusOK++
		}
		if !c.wireFound || c.wire != c.kernel() || !c.srvFound || c.server() != c.kernel() || c.kernel() != c.want {
			matchOK = false
			mismatches = append(mismatches, fmt.Sprintf("%s: asked %v, wire %v, client kernel %v, server kernel %v",
				c.label, c.want, c.wire, c.kernel(), c.server()))
		}
	}
	r.Metric("connections", float64(n))
	r.Metric("handshakes_on_wire", float64(wireOK))
	r.Metric("server_accepted", float64(srvOK))
	r.Metric("census_established_client", float64(len(obs.censusClient)))
	r.Metric("census_established_server", float64(len(obs.censusServer)))
	r.Metric("client_port_sockets", float64(obs.clientPortSockets))
	r.Metric("server_port_sockets", float64(obs.serverPortSockets))

	cliShare, srvShare := ftSharers(obs.conns)
	r.Check("fourtuple-coexist",
		claim+"connections that share three of the four values are different connections and coexist",
		fmt.Sprintf("%d handshakes on the wire; all %d ESTABLISHED at once in the census (inet_diag) of the client's and of the server's namespace; %v held by %d sockets, %v by %d",
			n, n, base.want.Client, cliShare, base.want.Server, srvShare),
		fmt.Sprintf("%d handshakes; %d of %d in both censuses (client lists %d ESTABLISHED, server %d); %v held by %d ESTABLISHED sockets, %v by %d",
			wireOK, censusOK, n, len(obs.censusClient), len(obs.censusServer),
			base.want.Client, obs.clientPortSockets, base.want.Server, obs.serverPortSockets),
		wireOK == n && censusOK == n && obs.clientPortSockets == cliShare && obs.serverPortSockets == srvShare)

	observed := "every tuple agrees"
	if !matchOK {
		observed = strings.Join(mismatches, "; ")
	}
	r.Check("fourtuple-wire-matches-kernel",
		claim+"the 4-tuple on the wire is the one both kernels name the connection by",
		"for each connection: SYN source → destination = client getsockname → getpeername = server getpeername → getsockname = the tuple asked for",
		observed, matchOK)

	wd, wi, wj := ftDistinct(wire)
	kd, _, _ := ftDistinct(kern)
	sd, _, _ := ftDistinct(srv)
	distinctObs := fmt.Sprintf("wire %d tuples distinct %v; client kernel %d distinct %v; server kernel %d distinct %v",
		len(wire), wd, len(kern), kd, len(srv), sd)
	if !wd {
		distinctObs += fmt.Sprintf(" (wire: %v twice)", wire[wi])
		_ = wj
	}
	r.Check("fourtuple-distinct",
		claim+"every coexisting connection has its own 4-tuple",
		fmt.Sprintf("%d pairwise distinct tuples on the wire, in the client's kernel and in the server's", n),
		distinctObs,
		wd && kd && sd && len(wire) == n && len(srv) == n)

	shareOK := base.wireFound
	var parts []string
	covered := map[string]bool{}
	for _, c := range obs.conns[1:] {
		shared, differ := ftCompare(c.wire, base.wire)
		ok := c.wireFound && shared == 3 && len(differ) == 1 && differ[0] == c.differ
		shareOK = shareOK && ok
		if ok {
			covered[c.differ] = true
		}
		parts = append(parts, fmt.Sprintf("%s shares %d, differs in %s", c.label, shared, strings.Join(differ, ", ")))
	}
	r.Check("fourtuple-share-three",
		claim+"any one differing value is enough: each pair shares exactly three of the four values",
		fmt.Sprintf("each of the %d other connections shares exactly 3 values with the base (from the SYNs) and differs in its own one", n-1),
		strings.Join(parts, "; ")+fmt.Sprintf(" (%d of 4 values varied)", len(covered)),
		shareOK && len(covered) == n-1)

	demuxOK := true
	var bad []string
	for _, c := range obs.conns {
		want := ftReply(c.label, c.sockname, c.peername)
		if !c.srvFound || c.srvLabel != c.label || c.reply != want {
			demuxOK = false
			bad = append(bad, fmt.Sprintf("%s: server's socket read %q, client read back %q", c.label, c.srvLabel, c.reply))
		}
	}
	demuxObs := fmt.Sprintf("all %d: the server's socket for each tuple read that connection's label, and its answer came back to the client socket of the same tuple", n)
	if !demuxOK {
		demuxObs = strings.Join(bad, "; ")
	}
	r.Check("fourtuple-demux",
		claim+"the kernel delivers each segment to the connection of its 4-tuple, even when three values are shared",
		"each connection's label reaches the server socket of its tuple, and the server's answer (naming that tuple) comes back to the same client socket",
		demuxObs, demuxOK)

	r.Metric("duplicate_bind_errno", float64(obs.dupBindErrno))
	r.Metric("duplicate_connect_errno", float64(obs.dupConnectErrno))
	r.Metric("duplicate_reconnect_errno", float64(obs.dupReconnectErrno))
	r.Metric("syns_for_base_tuple", float64(obs.baseSYNs))
	r.Check("fourtuple-duplicate-refused",
		claim+"a second connection with all four values equal cannot exist",
		fmt.Sprintf("while the base (%v) is open: a new socket's bind(2) to %v without SO_REUSEADDR → EADDRINUSE; with SO_REUSEADDR bind succeeds but connect(2) → EADDRNOTAVAIL; connect(2) again on the base's socket → EISCONN; exactly 1 SYN for that tuple on the wire",
			obs.dupTuple, obs.dupTuple.Client),
		fmt.Sprintf("bind without SO_REUSEADDR: %s; bind with it succeeded %v, then connect: %s; reconnect: %s; %d SYN(s) for the tuple on the wire",
			errnoName(obs.dupBindErrno), obs.dupBindReuseOK, errnoName(obs.dupConnectErrno), errnoName(obs.dupReconnectErrno), obs.baseSYNs),
		obs.dupBindErrno == unix.EADDRINUSE && obs.dupBindReuseOK && obs.dupConnectErrno == unix.EADDRNOTAVAIL &&
			obs.dupReconnectErrno == unix.EISCONN && obs.baseSYNs == 1)

	r.Explain("The kernel keys every TCP socket by its 4-tuple; a port is not a connection. One client port can carry several connections at once, as long as something else in the tuple differs.")
	r.Explain("Binding a port that live sockets use needs SO_REUSEADDR on all of them; the uniqueness that matters is checked at connect(2), on the whole tuple (EADDRNOTAVAIL), before any packet leaves.")
	r.Explain("Each connection's 4-tuple — from the SYN on the wire | the client's getsockname → getpeername | the server's getpeername → getsockname:")
	for _, c := range obs.conns {
		r.Explain("%s: %v | %v | %v", c.label, c.wire, c.kernel(), c.server())
	}
}

// ftSharers is how many planned connections use the base's client address
// and port, and how many its server address and port.
func ftSharers(conns []*ftConnObs) (client, server int) {
	for _, c := range conns {
		if c.want.Client == conns[0].want.Client {
			client++
		}
		if c.want.Server == conns[0].want.Server {
			server++
		}
	}
	return client, server
}

// ftInCensus reports whether the census lists an ESTABLISHED socket with
// these endpoints.
func ftInCensus(ss []timewait.Socket, local, remote netip.AddrPort) bool {
	for _, s := range ss {
		if s.State == timewait.StateEstablished && s.Local.Addr().Unmap() == local.Addr().Unmap() &&
			s.Local.Port() == local.Port() && s.Remote.Addr().Unmap() == remote.Addr().Unmap() && s.Remote.Port() == remote.Port() {
			return true
		}
	}
	return false
}

// writeFourTupleTable writes the tuple table as tab-separated values.
func writeFourTupleTable(path string, obs *ftObserved) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("connection\tdiffers_in\twire_syn\tclient_getsockname\tclient_getpeername\tserver_getpeername\tserver_getsockname\n")
	for _, c := range obs.conns {
		differ := c.differ
		if differ == "" {
			differ = "-"
		}
		fmt.Fprintf(&b, "%s\t%s\t%v\t%v\t%v\t%v\t%v\n", c.label, differ, c.wire, c.sockname, c.peername, c.srvPeer, c.srvLocal)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
