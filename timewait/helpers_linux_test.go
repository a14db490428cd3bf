package timewait

import (
	"context"
	"net"
	"testing"
)

// listenTCP listens on addr without MPTCP (Go listeners use it by default).
func listenTCP(t *testing.T, addr string) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}
