package sockopt_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/sockopt"
)

// A server that closed first holds TIME_WAIT on its port. A new listener
// may bind that port only if it has SO_REUSEADDR, so ReuseAddr(false) must
// fail with EADDRINUSE where Go's default succeeds.
func TestReuseAddrAgainstTimeWait(t *testing.T) {
	ctx := context.Background()
	ln, err := sockopt.ListenConfig().Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	accepted := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); accepted <- c }()
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	s.Close() // server closes first: it will hold TIME_WAIT
	if _, err := io.ReadAll(c); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ln.Close()
	waitTimeWait(t, port)

	_, err = sockopt.ListenConfig(sockopt.ReuseAddr(false)).Listen(ctx, "tcp4", addr)
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("listen without SO_REUSEADDR on a TIME_WAIT port: %v; want EADDRINUSE", err)
	}
	ln2, err := sockopt.ListenConfig().Listen(ctx, "tcp4", addr)
	if err != nil {
		t.Fatalf("listen with SO_REUSEADDR on a TIME_WAIT port: %v", err)
	}
	ln2.Close()
}

// waitTimeWait polls /proc/thread-self/net/tcp until a socket with local
// port port is in TIME_WAIT (state 06).
func waitTimeWait(t *testing.T, port int) {
	t.Helper()
	local := fmt.Sprintf(":%04X ", port)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/thread-self/net/tcp")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 3 && strings.HasSuffix(f[1]+" ", local) && f[3] == "06" {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no TIME_WAIT socket on port %d", port)
}

// Two listeners share a port only when both set SO_REUSEPORT.
func TestReusePortSharesPort(t *testing.T) {
	ctx := context.Background()
	lc := sockopt.ListenConfig(sockopt.ReusePort(true))
	a, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := lc.Listen(ctx, "tcp4", a.Addr().String())
	if err != nil {
		t.Fatalf("second SO_REUSEPORT listener: %v", err)
	}
	defer b.Close()
	_, err = sockopt.ListenConfig().Listen(ctx, "tcp4", a.Addr().String())
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("listener without SO_REUSEPORT: %v; want EADDRINUSE", err)
	}
}
