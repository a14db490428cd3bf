package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/netlab"
)

func init() { Register(90, func() Experiment { return NewKeepAlive() }) }

// KeepAlive shows the persistence rules of §4.5 on the wire (claims C20,
// C22, C23, C24, C27), each scenario with a server of its own:
//
//   - HTTP/1.0 without keep-alive: a connection per request, closed by the
//     server;
//   - HTTP/1.0 with Connection: Keep-Alive on every request: the server
//     echoes it and announces Keep-Alive: timeout=, max=, and closes after
//     the max-th response;
//   - the same server's idle timeout: it closes a connection that has sat
//     idle for the timeout;
//   - a server that refuses keep-alive: no echo, a close after each
//     response;
//   - a response without a length (close-delimited) cannot leave a
//     persistent connection;
//   - HTTP/1.1: persistent without any header, until a request says
//     Connection: close.
type KeepAlive struct {
	Requests int           // requests of the HTTP/1.0 and HTTP/1.1 sequences
	Timeout  time.Duration // the keep-alive server's idle timeout
	Max      int           // the keep-alive server's requests per connection
	Size     int           // response body bytes
	Repeats  int           // runs of the timed sequences; the fastest is checked
}

// NewKeepAlive returns the experiment with its default parameters.
func NewKeepAlive() *KeepAlive {
	return &KeepAlive{Requests: 3, Timeout: time.Second, Max: 3, Size: 1000, Repeats: 2}
}

func (ka *KeepAlive) Name() string    { return "keepalive" }
func (ka *KeepAlive) Section() string { return "4.5" }
func (ka *KeepAlive) Title() string {
	return "keep-alive and persistent connections: the echo, timeout= and max=, Connection: close"
}

func (ka *KeepAlive) params() map[string]any {
	return map[string]any{
		"requests":   ka.Requests,
		"timeout_ms": ms(ka.Timeout),
		"max":        ka.Max,
		"size":       ka.Size,
		"repeats":    ka.Repeats,
	}
}

// Validate rejects parameters the experiment cannot honour under any plan;
// its errors name the command-line flag of the parameter.
func (ka *KeepAlive) Validate() error {
	switch {
	case ka.Requests < 2 || ka.Requests > 20:
		return fmt.Errorf("--requests %d out of range (2 to 20)", ka.Requests)
	case ka.Timeout < 200*time.Millisecond || ka.Timeout > 30*time.Second:
		return fmt.Errorf("--timeout %v out of range (200ms to 30s)", ka.Timeout)
	case ka.Max < 2 || ka.Max > 20:
		return fmt.Errorf("--max %d out of range (2 to 20)", ka.Max)
	case ka.Size < 1 || ka.Size > 10_000:
		return fmt.Errorf("--size %d out of range (1 to 10000 bytes: a response within the initial window, so the server's idle timer starts as it leaves)", ka.Size)
	case ka.Repeats < 1 || ka.Repeats > 5:
		return fmt.Errorf("--repeats %d out of range (1 to 5)", ka.Repeats)
	}
	return nil
}

// validate is Validate, then the limits plan p sets.
func (ka *KeepAlive) validate(p Plan) error {
	if err := ka.Validate(); err != nil {
		return fmt.Errorf("keepalive: %w", err)
	}
	switch {
	case p.RTT < 2*time.Millisecond || p.RTT > 2*time.Second:
		return fmt.Errorf("keepalive: --rtt %v out of range (2ms to 2s)", p.RTT)
	case p.Loss > 0:
		return fmt.Errorf("keepalive: --loss must be 0: a retransmission would move the closes the experiment times")
	case ka.Timeout < 2*p.RTT:
		return fmt.Errorf("keepalive: timeout %v is shorter than 2 RTT (%v): the server would close between requests; raise --timeout", ka.Timeout, 2*p.RTT)
	}
	return nil
}

// Run builds a client⇄server lab, runs every scenario on its own server
// port with a capture on the client's link, and checks the wire, the
// peers' records (the headers each side saw) and the kernel's socket table.
func (ka *KeepAlive) Run(ctx context.Context, p Plan) (*Result, error) {
	if err := ka.validate(p); err != nil {
		return nil, err
	}
	r := NewResult(ka, p, ka.params())
	b, err := Setup(ctx, ka.Name(), p, netlab.ClientServer, map[string]string{"net.ipv4.tcp_no_metrics_save": "1"})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := b.Capture(b.Client, b.ClientIf); err != nil {
		return nil, err
	}
	scs, err := ka.drive(ctx, b, p)
	if err != nil {
		return nil, err
	}
	pkts, cstats, err := b.StopCaptures()
	if err != nil {
		return nil, err
	}
	b.RecordEnv(r)
	b.RecordLinkStats(r)
	plLateStats(r, b, "")
	r.Metric("capture_kernel_drops", float64(cstats.KernelDrops))
	ka.observe(scs, pkts)
	ka.check(r, p, scs)
	if err := WritePcap(r, p.PcapPath(ka.Name()), pkts); err != nil {
		return nil, err
	}
	return r.Finish(), nil
}
