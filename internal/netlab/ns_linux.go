package netlab

import (
	"fmt"
	"os"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NewNS creates a network namespace and returns it held by a descriptor.
// The work happens on a fresh locked OS thread: unshare(CLONE_NEWNET) moves
// that thread into the new namespace, the thread is moved back with
// setns(2), and the calling goroutine's thread is never touched. If moving
// back fails the thread is left locked, so the runtime ends it rather than
// reuse a thread in the wrong namespace.
func NewNS(name string) (*NS, error) {
	type result struct {
		fd  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{-1, fmt.Errorf("netlab: new namespace %s: open current namespace: %w", name, err)}
			return
		}
		defer orig.Close()
		h, err := netns.New() // unshare(CLONE_NEWNET), then open /proc/<pid>/task/<tid>/ns/net
		if rerr := netns.Set(orig); rerr != nil {
			if err == nil {
				h.Close()
			}
			// Stay locked: the thread exits with this goroutine.
			done <- result{-1, fmt.Errorf("netlab: new namespace %s: return to the original namespace: %w", name, rerr)}
			return
		}
		runtime.UnlockOSThread()
		if err != nil {
			done <- result{-1, fmt.Errorf("netlab: new namespace %s: %w", name, os.NewSyscallError("unshare CLONE_NEWNET", err))}
			return
		}
		done <- result{int(h), nil}
	}()
	r := <-done
	if r.err != nil {
		return nil, r.err
	}
	return &NS{name: name, fd: r.fd}, nil
}

// Do runs fn on a locked OS thread that has entered the namespace with
// setns(2), then returns the thread to the namespace it came from. Sockets,
// TUN devices and netlink handles that fn creates belong to the namespace and
// may be used from any goroutine afterwards; files under /proc/sys/net and
// /proc/thread-self/net that fn opens are the namespace's (/proc/net follows
// the thread-group leader, not the thread). Goroutines fn starts do not run
// in the namespace.
//
// fn runs on a new goroutine, so the caller's thread never changes namespace.
// If the thread cannot be returned, it is left locked and dies with that
// goroutine. A panic in fn is re-raised in the caller once the thread is
// restored.
func (n *NS) Do(fn func() error) error {
	type result struct {
		err   error
		panic any
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("netlab: enter %s: open current namespace: %w", n.name, err)}
			return
		}
		defer orig.Close()
		n.mu.RLock() // Close must not release the descriptor under setns
		err = ErrClosed
		if n.fd >= 0 {
			err = os.NewSyscallError("setns", unix.Setns(n.fd, unix.CLONE_NEWNET))
		}
		n.mu.RUnlock()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("netlab: enter %s: %w", n.name, err)}
			return
		}
		var r result
		func() {
			defer func() { r.panic = recover() }()
			r.err = fn()
		}()
		if err := unix.Setns(int(orig), unix.CLONE_NEWNET); err != nil {
			// Stay locked: the runtime ends this thread when the goroutine exits.
			if r.err == nil {
				r.err = fmt.Errorf("netlab: leave %s: %w", n.name, os.NewSyscallError("setns", err))
			}
			done <- r
			return
		}
		runtime.UnlockOSThread()
		done <- r
	}()
	r := <-done
	if r.panic != nil {
		panic(r.panic)
	}
	return r.err
}

// Close releases the descriptor. The namespace itself goes away once nothing
// else holds it (sockets opened in it, bind mounts, open TUN devices).
// Close is idempotent.
func (n *NS) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fd < 0 {
		return nil
	}
	err := unix.Close(n.fd)
	n.fd = -1
	if err != nil {
		return fmt.Errorf("netlab: close namespace %s: %w", n.name, os.NewSyscallError("close", err))
	}
	return nil
}

// inode identifies the namespace: the nsfs inode number that
// /proc/<pid>/task/<tid>/ns/net shows as net:[inode].
func (n *NS) inode() (uint64, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.fd < 0 {
		return 0, ErrClosed
	}
	var st unix.Stat_t
	if err := unix.Fstat(n.fd, &st); err != nil {
		return 0, os.NewSyscallError("fstat", err)
	}
	return st.Ino, nil
}
