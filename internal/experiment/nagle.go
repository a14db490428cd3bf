package experiment

import (
	"context"
	"fmt"

	"github.com/tcplab/tcplab/internal/capture"
)

func init() { Register(50, func() Experiment { return NewNagle() }) }

// Nagle shows Nagle's algorithm (RFC 896, RFC 1122 §4.2.3.4) meeting the
// peer's delayed ACK (RFC 1122 §4.2.3.2) in §4.2's write-write-read pattern,
// the cures (TCP_NODELAY, TCP_CORK, TCP_QUICKACK on the server), how Nagle
// coalesces tiny writes, what each tiny segment costs in headers, and how
// often the server's ACKs ride on data (claims C3, C8, C9).
type Nagle struct {
	Exchanges int // request/response exchanges per mode, all on one connection
	Burst     int // 1-byte writes in the coalescing burst
	BodyBytes int // bytes of the request body written after the header
}

// NewNagle returns the experiment with its default parameters.
func NewNagle() *Nagle { return &Nagle{Exchanges: 20, Burst: 200, BodyBytes: 20} }

func (n *Nagle) Name() string    { return "nagle" }
func (n *Nagle) Section() string { return "4.2" }
func (n *Nagle) Title() string {
	return "Nagle's algorithm meets delayed ACKs: write-write-read stalls, and the cures"
}

func (n *Nagle) params() map[string]any {
	return map[string]any{
		"exchanges":    n.Exchanges,
		"burst":        n.Burst,
		"header_bytes": len(nagleHeader(n.BodyBytes)),
		"body_bytes":   n.BodyBytes,
		"reply_bytes":  len(nagleReply),
	}
}

// Validate rejects parameters the experiment cannot honour; its errors name
// the command-line flag of the parameter.
func (n *Nagle) Validate() error {
	switch {
	case n.Exchanges < 3 || n.Exchanges > 1000:
		return fmt.Errorf("--exchanges %d out of range (3 to 1000)", n.Exchanges)
	case n.Burst < 20 || n.Burst > 10_000:
		return fmt.Errorf("--burst %d out of range (20 to 10000)", n.Burst)
	case n.BodyBytes < 1 || n.BodyBytes > 500:
		return fmt.Errorf("--body %d out of range (1 to 500 bytes, well below one MSS)", n.BodyBytes)
	}
	return nil
}

// Run builds a client⇄server lab and, one connection per mode, runs the
// write-write-read exchanges with Nagle on, TCP_NODELAY, TCP_CORK and Nagle
// with the server re-arming TCP_QUICKACK; then a burst of 1-byte writes with
// Nagle on and off. The client's clock, the capture on the client's link and
// TCP_INFO on both ends are checked against the model.
func (n *Nagle) Run(ctx context.Context, p Plan) (*Result, error) {
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("nagle: %w", err)
	}
	r := NewResult(n, p, n.params())
	return runInLab(ctx, n, p, r, labRun[*nagleRuns]{
		drive: n.drive,
		verdict: func(b *Bench, runs *nagleRuns, pkts []capture.Packet) {
			runs.pingpongThresh = n.pingpongThresh(b, r)
			n.check(r, p, runs, n.observeWire(runs, pkts))
		},
	})
}

// pingpongThresh reads net.ipv4.tcp_pingpong_thresh in the server's
// namespace (Linux 6.7+) and records it; older kernels behave as 1 (the
// value since commit 4d8f24eeedc5, 2022).
func (n *Nagle) pingpongThresh(b *Bench, r *Result) int {
	const key = "net.ipv4.tcp_pingpong_thresh"
	v, err := b.Server.Sysctl(key)
	if err != nil {
		r.Env.Sysctls["server:"+key] = "absent (behaves as 1)"
		return 1
	}
	r.Env.Sysctls["server:"+key] = v
	var t int
	if _, err := fmt.Sscan(v, &t); err != nil || t < 1 {
		return 1
	}
	return t
}
