package experiment

import "github.com/tcplab/tcplab/internal/peer"

// rtPipelineModel predicts the pipeline scenario: n GETs on a pipelining
// client, a server that ends each connection after k responses and reads
// requests one at a time. On each connection the first pending request goes
// alone; once its response shows the connection persistent, every other
// pending GET is pipelined behind it (RFC 9112 §9.3.2); the server answers k
// and closes, and the client sends the rest again on a new connection. It
// returns the request indices written on each connection, in order. For
// k ≥ n it is one connection with every request.
func rtPipelineModel(n, k int) [][]int {
	if n <= 0 || k <= 0 {
		return nil
	}
	var conns [][]int
	for next := 0; next < n; next += k {
		var c []int
		for i := next; i < n; i++ {
			c = append(c, i)
		}
		conns = append(conns, c)
	}
	return conns
}

// rtFail is the misbehaviour the server scripts for a request's first
// execution.
type rtFail uint8

const (
	rtFailNone  rtFail = iota
	rtFailShort        // Content-Length of the full body, Short bytes fewer sent, then close
	rtFailDrop         // executed, then closed without a response
)

// rtStep is one request of the scripted list.
type rtStep struct {
	name   string // label in metrics and comments
	method string
	query  string
	fail   rtFail
}

// rtOutcome is what the model predicts for one scripted request.
type rtOutcome struct {
	attempts int  // times the client writes it
	execs    int  // times the server executes it
	ok       bool // the client ends with a complete response
}

// rtScriptModel predicts the scripted list over persistent connections
// (one request at a time), against a server that fails each request's first
// execution as scripted and answers later ones in full, for a client that
// retries a request whose connection ended before a complete response only
// when its method is idempotent — or always, with retryAll. A failure ends
// the connection; a retry goes on a new one. It returns the outcome per step
// and the step indices written on each connection.
func rtScriptModel(steps []rtStep, retryAll bool, maxAttempts int) ([]rtOutcome, [][]int) {
	out := make([]rtOutcome, len(steps))
	var conns [][]int
	open := false
	for i, s := range steps {
		for {
			if !open {
				conns = append(conns, nil)
				open = true
			}
			c := len(conns) - 1
			conns[c] = append(conns[c], i)
			out[i].attempts++
			out[i].execs++ // the server executes every request it reads
			if s.fail == rtFailNone || out[i].attempts > 1 {
				out[i].ok = true
				break
			}
			open = false
			if !(peer.Idempotent(s.method) || retryAll) || out[i].attempts >= maxAttempts {
				break
			}
		}
	}
	return out, conns
}
