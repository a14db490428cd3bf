package experiment

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/peer"
	"github.com/tcplab/tcplab/sockopt"
)

// pxDial returns a peer.DialFunc whose sockets are created inside ns, with
// the plan's congestion control pinned.
func pxDial(ns *netlab.NS, ctl sockopt.Control) peer.DialFunc {
	dial := peer.Dialer(ctl)
	return func(ctx context.Context, addr string) (net.Conn, error) {
		var c net.Conn
		err := ns.Do(func() error {
			var err error
			c, err = dial(ctx, addr)
			return err
		})
		return c, err
	}
}

// pxListen opens a listener on addr inside ns.
func pxListen(ctx context.Context, ns *netlab.NS, addr string, ctl sockopt.Control) (net.Listener, error) {
	var ln net.Listener
	err := ns.Do(func() error {
		var err error
		ln, err = peer.Listen(ctx, addr, ctl)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listen on %s in %s: %w", addr, ns.Name(), err)
	}
	return ln, nil
}

// pxServe runs serve on ln in a goroutine and returns a function that
// stops it (stop, then wait for serve to return).
func pxServe(ln net.Listener, serve func(net.Listener) error, stop func() error) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = serve(ln)
	}()
	return func() {
		_ = stop()
		_ = ln.Close()
		<-done
	}
}

// pxWait polls cond every few milliseconds until it holds or limit passes,
// and reports whether it held.
func pxWait(limit time.Duration, cond func() bool) bool {
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
