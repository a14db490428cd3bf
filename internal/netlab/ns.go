package netlab

import (
	"errors"
	"maps"
	"sync"
)

// ErrClosed is returned by an NS or Lab that has been closed.
var ErrClosed = errors.New("netlab: closed")

// NS is a network namespace held by an open file descriptor (an nsfs file,
// see setns(2)). Nothing names it in /run/netns: it lives while the
// descriptor, a process or thread inside it, a socket created in it, or a
// bind mount of it does, and goes away with the last of them.
type NS struct {
	name string

	mu      sync.RWMutex
	fd      int // -1 once closed
	sysctls map[string]string
}

// Name is the name the namespace was created with; it is only a label.
func (n *NS) Name() string { return n.name }

// Fd is the descriptor that holds the namespace (for setns(2), netlink's
// IFLA_NET_NS_FD, or a bind mount), or -1 after Close. It stays owned by n.
func (n *NS) Fd() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.fd
}

// Sysctls returns every sysctl set through SetSysctl, keyed by dotted name,
// with the value read back after it was written.
func (n *NS) Sysctls() map[string]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return maps.Clone(n.sysctls)
}
