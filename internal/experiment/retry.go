package experiment

import (
	"context"
	"fmt"

	"github.com/tcplab/tcplab/internal/capture"
)

func init() { Register(110, func() Experiment { return NewRetry() }) }

// Retry shows what a client must do when a persistent connection ends under
// it (§4.6–4.7, claims C24, C27, C30–C33): either side may close at any
// time; a body shorter than its Content-Length must be noticed; idempotent
// requests may be sent again on a new connection; a POST must not be,
// because the client cannot know whether the server acted on it.
//
// Three scenarios, each with its own server port:
//
//   - pipeline: Requests GETs pipelined on a persistent connection to a
//     server that closes after CloseAfter responses, with the requests
//     behind still unread (so Linux sends RST). The client reconnects and
//     sends the unanswered ones again; each GET is executed once.
//   - safe: a correct client sends a scripted list over persistent
//     connections to a server that fails each request once: a GET whose
//     body is Short bytes shorter than its Content-Length, a POST executed
//     and then dropped without a response, a POST with a short body. The GET
//     is retried; the POSTs are not.
//   - retry-all: the same list from a client that retries every method:
//     each POST is executed twice.
//
// The server's execution counters, the client's records and the capture
// (requests per connection read from the payloads, FIN/RST, body bytes
// against Content-Length) are the witnesses.
type Retry struct {
	// Requests is the number of pipelined GETs; CloseAfter the number of
	// responses after which the server ends each connection (≥ 2, below
	// Requests).
	Requests, CloseAfter int
	// Size is the body size of the scripted short responses; Short the
	// bytes the server withholds from them.
	Size, Short int
}

// NewRetry returns the experiment with its default parameters.
func NewRetry() *Retry { return &Retry{Requests: 6, CloseAfter: 2, Size: 20_000, Short: 6_000} }

func (x *Retry) Name() string    { return "retry" }
func (x *Retry) Section() string { return "4.6–4.7" }
func (x *Retry) Title() string {
	return "connections that close under pipelined and reused requests: truncation, safe retries, and the double POST"
}

func (x *Retry) params() map[string]any {
	return map[string]any{"requests": x.Requests, "close_after": x.CloseAfter, "size": x.Size, "short": x.Short}
}

// Validate rejects parameters the model cannot predict; its errors name the
// command-line flag of the parameter.
func (x *Retry) Validate() error {
	switch {
	case x.Requests < 3 || x.Requests > 30:
		return fmt.Errorf("--requests %d out of range (3 to 30)", x.Requests)
	case x.CloseAfter < 2 || x.CloseAfter >= x.Requests:
		return fmt.Errorf("--close-after %d out of range (2 to --requests minus 1 = %d)", x.CloseAfter, x.Requests-1)
	case x.Size < 2 || x.Size > 1<<20:
		return fmt.Errorf("--size %d out of range (2 B to 1 MiB)", x.Size)
	case x.Short < 1 || x.Short >= x.Size:
		return fmt.Errorf("--short %d out of range (1 to --size minus 1)", x.Short)
	}
	return nil
}

// Run builds a client⇄server lab, runs the three scenarios and checks the
// server's counters, the client's records and the capture against the
// model.
func (x *Retry) Run(ctx context.Context, p Plan) (*Result, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("retry: %w", err)
	}
	r := NewResult(x, p, x.params())
	return runInLab(ctx, x, p, r, labRun[[]*rtRun]{
		drive: x.drive,
		verdict: func(_ *Bench, runs []*rtRun, pkts []capture.Packet) {
			w := x.observe(runs, pkts)
			x.check(r, p, runs, w)
			x.annotate(runs, w, pkts)
		},
	})
}
