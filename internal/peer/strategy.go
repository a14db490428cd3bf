package peer

import "fmt"

// Mode is a way of loading a set of resources (the chapter's §4.3–4.6).
type Mode uint8

const (
	// SerialNew opens a new connection per request, one request at a time,
	// each asking the server to close (§4.3).
	SerialNew Mode = iota
	// ParallelNew opens a new connection per request, at most Conns at once
	// (§4.4).
	ParallelNew
	// PersistentSerial sends the requests one after the other over pooled
	// persistent connections, one at a time (§4.5).
	PersistentSerial
	// PersistentParallel sends the requests over at most Conns persistent
	// connections at once (§4.5: a few parallel persistent connections).
	PersistentParallel
	// Pipelined sends the requests over one persistent connection without
	// waiting for responses, once the connection has proven persistent;
	// non-idempotent requests are sent alone (§4.6).
	Pipelined
)

// String returns the mode's name as the experiments print it.
func (m Mode) String() string {
	switch m {
	case SerialNew:
		return "serial"
	case ParallelNew:
		return "parallel"
	case PersistentSerial:
		return "persistent"
	case PersistentParallel:
		return "persistent-parallel"
	case Pipelined:
		return "pipelined"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Strategy is a Mode and, for the parallel modes, the number of connections
// used at once (default 4).
type Strategy struct {
	Mode  Mode
	Conns int
}

func (s Strategy) conns() int {
	if s.Conns > 0 {
		return s.Conns
	}
	return 4
}

// String returns "parallel-4" style names.
func (s Strategy) String() string {
	if s.Mode == ParallelNew || s.Mode == PersistentParallel {
		return fmt.Sprintf("%s-%d", s.Mode, s.conns())
	}
	return s.Mode.String()
}
