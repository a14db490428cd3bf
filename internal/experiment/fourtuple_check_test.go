package experiment

import (
	"net/netip"
	"testing"

	"github.com/tcplab/tcplab/timewait"
	"golang.org/x/sys/unix"
)

// ftGoodObserved is what a correct run sees of the default plan.
func ftGoodObserved() *ftObserved {
	x := NewFourTuple()
	obs := &ftObserved{dupBindErrno: unix.EADDRINUSE, dupBindReuseOK: true, dupConnectErrno: unix.EADDRNOTAVAIL,
		dupReconnectErrno: unix.EISCONN, baseSYNs: 1}
	for i, c := range x.plan(netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")) {
		o := &ftConnObs{ftConn: c, sockname: c.want.Client, peername: c.want.Server, srvFound: true,
			srvLocal: c.want.Server, srvPeer: c.want.Client, srvLabel: c.label,
			reply: ftReply(c.label, c.want.Client, c.want.Server), wireFound: true, wire: c.want, synIndex: i}
		obs.conns = append(obs.conns, o)
		obs.censusClient = append(obs.censusClient, timewait.Socket{Local: c.want.Client, Remote: c.want.Server, State: timewait.StateEstablished})
		obs.censusServer = append(obs.censusServer, timewait.Socket{Local: c.want.Server, Remote: c.want.Client, State: timewait.StateEstablished})
	}
	obs.dupTuple = obs.conns[0].want
	obs.clientPortSockets, obs.serverPortSockets = ftSharers(obs.conns)
	return obs
}

// TestFourTupleChecksCanFail shows every check passing on a correct run and
// the named check failing when one witness says otherwise.
func TestFourTupleChecksCanFail(t *testing.T) {
	r := &Result{Metrics: map[string]float64{}}
	NewFourTuple().check(r, ftGoodObserved())
	for _, c := range r.Checks {
		if !c.Pass {
			t.Fatalf("good run: %s fails: %s", c.Name, c.Observed)
		}
	}
	for _, tc := range []struct {
		check string
		mut   func(o *ftObserved)
	}{
		{"fourtuple-coexist", func(o *ftObserved) { o.censusServer = o.censusServer[1:] }},
		{"fourtuple-coexist", func(o *ftObserved) { o.conns[2].wireFound = false }},
		{"fourtuple-wire-matches-kernel", func(o *ftObserved) { o.conns[1].wire = o.conns[2].want }},
		{"fourtuple-distinct", func(o *ftObserved) { o.conns[1].wire = o.conns[0].wire }},
		{"fourtuple-share-three", func(o *ftObserved) { o.conns[3].wire.Server = netip.MustParseAddrPort("198.18.0.2:9002") }},
		{"fourtuple-demux", func(o *ftObserved) { o.conns[1].srvLabel = "base" }},
		{"fourtuple-duplicate-refused", func(o *ftObserved) { o.dupConnectErrno = 0 }},
		{"fourtuple-duplicate-refused", func(o *ftObserved) { o.baseSYNs = 2 }},
	} {
		obs := ftGoodObserved()
		tc.mut(obs)
		r := &Result{Metrics: map[string]float64{}}
		NewFourTuple().check(r, obs)
		requireCheckFails(t, r, tc.check)
	}
}
