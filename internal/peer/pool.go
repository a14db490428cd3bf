package peer

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// pool keeps the client's persistent connections per address: a bound on
// open connections, idle connections closed after the idle timeout (the
// client's own, or the server's Keep-Alive timeout when shorter).
//
// The pool does not watch idle connections: one the server closed while it
// sat idle is found out only when the next request on it fails, and the
// retry policy decides what happens then (the race of RFC 9112 §9.3.1).
type pool struct {
	c     *Client
	mu    sync.Mutex
	hosts map[string]*hostPool
}

type hostPool struct {
	idle    []*clientConn // most recently used last
	open    int           // idle + in use + being dialed
	changed chan struct{} // closed when a connection is returned or a slot frees
}

func (p *pool) host(addr string) *hostPool {
	h := p.hosts[addr]
	if h == nil {
		h = &hostPool{changed: make(chan struct{})}
		p.hosts[addr] = h
	}
	return h
}

func (h *hostPool) signal() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// remove takes cc out of the idle list and reports whether it was there.
func (h *hostPool) remove(cc *clientConn) bool {
	for i, x := range h.idle {
		if x == cc {
			h.idle = append(h.idle[:i], h.idle[i+1:]...)
			return true
		}
	}
	return false
}

// get returns an idle connection to addr (unless fresh) or dials a new one
// when the per-host bound allows, else waits. A fresh request at the bound
// closes the oldest idle connection to make room.
func (p *pool) get(ctx context.Context, addr string, fresh bool, t *Timing) (*clientConn, error) {
	limit := p.c.Config.MaxConnsPerHost
	for {
		p.mu.Lock()
		h := p.host(addr)
		if !fresh && len(h.idle) > 0 {
			cc := h.idle[len(h.idle)-1]
			h.idle = h.idle[:len(h.idle)-1]
			cc.stopIdle()
			p.mu.Unlock()
			t.Conn, t.LocalPort, t.Reused = cc.rec.ID, cc.rec.LocalPort, true
			return cc, nil
		}
		if limit <= 0 || h.open < limit {
			h.open++
			p.mu.Unlock()
			cc, err := p.c.dial(ctx, addr, t)
			if err != nil {
				p.mu.Lock()
				h.open--
				h.signal()
				p.mu.Unlock()
				return nil, err
			}
			return cc, nil
		}
		if fresh && len(h.idle) > 0 {
			cc := h.idle[0]
			h.idle = h.idle[1:]
			cc.stopIdle()
			h.open--
			p.mu.Unlock()
			p.c.retire(cc, ReasonCloseIdle)
			continue
		}
		ch := h.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("peer: wait for a connection to %s: %w", addr, ctx.Err())
		}
	}
}

// put returns cc after a request: kept idle when keep, else closed.
func (p *pool) put(cc *clientConn, keep bool, err error) {
	p.mu.Lock()
	h := p.host(cc.addr)
	if !keep {
		h.open--
		h.signal()
		p.mu.Unlock()
		p.c.retire(cc, closeReason(err))
		return
	}
	idle, timed := p.c.Config.IdleTimeout, p.c.Config.IdleTimeout > 0
	if cc.hasKAIdle && (!timed || cc.kaIdle < idle) {
		idle, timed = cc.kaIdle, true
	}
	h.idle = append(h.idle, cc)
	if timed {
		cc.idleTimer = time.AfterFunc(idle, func() { p.expire(cc) })
	} else {
		cc.idleTimer = nil
	}
	h.signal()
	p.mu.Unlock()
}

// expire closes cc when its idle timer fires and it is still idle.
func (p *pool) expire(cc *clientConn) {
	p.mu.Lock()
	h := p.host(cc.addr)
	found := h.remove(cc)
	if found {
		h.open--
		h.signal()
	}
	p.mu.Unlock()
	if found {
		p.c.retire(cc, ReasonIdleTimeout)
	}
}

// closeIdle closes every idle connection and returns how many.
func (p *pool) closeIdle() int {
	p.mu.Lock()
	var all []*clientConn
	for _, h := range p.hosts {
		for _, cc := range h.idle {
			cc.stopIdle()
		}
		all = append(all, h.idle...)
		h.open -= len(h.idle)
		h.idle = nil
		h.signal()
	}
	p.mu.Unlock()
	for _, cc := range all {
		p.c.retire(cc, ReasonCloseIdle)
	}
	return len(all)
}
