package experiment

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/timewait"
)

// Helpers shared by the linger and timewait experiments: the TIME_WAIT
// census of a lab namespace and small readers of the capture.

// twCount is what one census said about the TIME_WAIT sockets that match a
// pattern (timewait.CountTimeWait).
type twCount struct {
	n         int
	remaining time.Duration // the largest Remaining among the matches
	at        time.Time     // when the census was read
}

// twCensus reads the TIME_WAIT census of ns through inet_diag, from a
// thread inside the namespace.
func twCensus(ns *netlab.NS) ([]timewait.Socket, error) {
	var ss []timewait.Socket
	err := ns.Do(func() error {
		var err error
		ss, err = timewait.Census()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("TIME_WAIT census of %s: %w", ns.Name(), err)
	}
	return ss, nil
}

// twCountIn counts the TIME_WAIT sockets of ns from local to remote (zero
// values match anything, as in timewait.CountTimeWait).
func twCountIn(ns *netlab.NS, local, remote netip.AddrPort) (twCount, error) {
	ss, err := twCensus(ns)
	if err != nil {
		return twCount{}, err
	}
	c := twCount{at: time.Now()}
	for _, s := range ss {
		if s.State != timewait.StateTimeWait {
			continue
		}
		one := []timewait.Socket{s}
		if timewait.CountTimeWait(one, local, remote) == 1 {
			c.n++
			c.remaining = max(c.remaining, s.Remaining)
		}
	}
	return c, nil
}

// twAwait polls the census of ns every 10 ms until want holds for the count
// of TIME_WAIT sockets from local to remote, or timeout passes; it returns
// the last count either way.
func twAwait(ctx context.Context, ns *netlab.NS, local, remote netip.AddrPort, want func(int) bool, timeout time.Duration) (twCount, error) {
	deadline := time.Now().Add(timeout)
	for {
		c, err := twCountIn(ns, local, remote)
		if err != nil || want(c.n) || time.Now().After(deadline) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// twNote sets the pcapng comment of the packet behind s.
func twNote(pkts []capture.Packet, s *analyze.Segment, text string) {
	if s != nil && s.Index >= 0 && s.Index < len(pkts) {
		pkts[s.Index].Comment = text
	}
}

// twFlowOf returns the flow whose client end is local and whose server end
// is remote, the last one if the 4-tuple was used more than once.
func twFlowOf(flows []*analyze.Flow, local, remote netip.AddrPort) *analyze.Flow {
	var found *analyze.Flow
	for _, f := range flows {
		if f.Client == local && f.Server == remote {
			found = f
		}
	}
	return found
}

// twFlowsTo returns the flows whose server end is remote, in capture order.
func twFlowsTo(flows []*analyze.Flow, remote netip.AddrPort) []*analyze.Flow {
	var out []*analyze.Flow
	for _, f := range flows {
		if f.Server == remote {
			out = append(out, f)
		}
	}
	return out
}

// twSegs returns the segments of f sent by the client (fromClient) or the
// server that satisfy pred.
func twSegs(f *analyze.Flow, fromClient bool, pred func(*analyze.Segment) bool) []*analyze.Segment {
	var out []*analyze.Segment
	if f == nil {
		return nil
	}
	for i := range f.Segments {
		s := &f.Segments[i]
		if (s.Src == f.Client) == fromClient && pred(s) {
			out = append(out, s)
		}
	}
	return out
}

// twLastAck returns the segment that completed f's close — the first
// segment from the side that sent the first FIN acknowledging the other
// side's FIN — which is when that side entered TIME_WAIT. nil if the close
// did not complete.
func twLastAck(f *analyze.Flow) *analyze.Segment {
	if f == nil {
		return nil
	}
	td := f.Teardown()
	if td.FirstFIN == nil || td.Reset {
		return nil
	}
	closer := td.FirstFIN.Src
	var second *analyze.Segment
	for i := range f.Segments {
		s := &f.Segments[i]
		if second == nil {
			if s.FIN && s.Src != closer {
				second = s
			}
			continue
		}
		if s.Src == closer && s.ACK && int32(s.Ack-(second.Seq+uint32(second.Payload)+1)) >= 0 {
			return s
		}
	}
	return nil
}

// twFINAck returns the first segment from the side that did not send fin
// that acknowledges it, or nil.
func twFINAck(f *analyze.Flow, fin *analyze.Segment) *analyze.Segment {
	if f == nil || fin == nil {
		return nil
	}
	want := fin.Seq + uint32(fin.Payload) + 1
	for i := range f.Segments {
		s := &f.Segments[i]
		if s.Src != fin.Src && s.ACK && !s.Time.Before(fin.Time) && int32(s.Ack-want) >= 0 {
			return s
		}
	}
	return nil
}
