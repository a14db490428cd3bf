package peer

import (
	"context"
	"net"
	"sync"
	"time"
)

// acceptor runs the accept loops of a proxy and tracks its open sockets so
// that Close can end them.
type acceptor struct {
	mu     sync.Mutex
	closed bool
	lns    map[net.Listener]struct{}
	socks  map[net.Conn]struct{}
	wg     sync.WaitGroup
	done   chan struct{}
}

func (a *acceptor) initLocked() {
	if a.lns == nil {
		a.lns = make(map[net.Listener]struct{})
		a.socks = make(map[net.Conn]struct{})
		a.done = make(chan struct{})
	}
}

// serve accepts on ln and runs handle for each connection in a goroutine
// until ln fails or close is called.
func (a *acceptor) serve(ln net.Listener, handle func(nc net.Conn, accepted time.Time)) error {
	a.mu.Lock()
	a.initLocked()
	if a.closed {
		a.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	a.lns[ln] = struct{}{}
	a.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if a.isClosed() {
				return ErrServerClosed
			}
			return err
		}
		now := time.Now()
		if !a.track(nc) {
			_ = nc.Close()
			return ErrServerClosed
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer a.untrack(nc)
			handle(nc, now)
		}()
	}
}

// track registers a socket; it reports false once close has begun.
func (a *acceptor) track(nc net.Conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.initLocked()
	if a.closed {
		return false
	}
	a.socks[nc] = struct{}{}
	return true
}

func (a *acceptor) untrack(nc net.Conn) {
	a.mu.Lock()
	delete(a.socks, nc)
	a.mu.Unlock()
}

func (a *acceptor) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// doneChan is closed when close begins.
func (a *acceptor) doneChan() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.initLocked()
	return a.done
}

// handlerContext returns a context for one connection's handler: it is
// cancelled when the acceptor closes or when cancel is called, which the
// handler must do when it returns.
func (a *acceptor) handlerContext() (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		select {
		case <-a.doneChan():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// close stops the listeners, closes every tracked socket and waits for the
// handlers.
func (a *acceptor) close() {
	a.mu.Lock()
	a.initLocked()
	if !a.closed {
		a.closed = true
		close(a.done)
	}
	for ln := range a.lns {
		_ = ln.Close()
	}
	for nc := range a.socks {
		_ = nc.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
}
