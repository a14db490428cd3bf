//go:build !linux

package netlab

// NewNS needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func NewNS(name string) (*NS, error) { return nil, errNeedLinux }

// Do needs Linux.
func (n *NS) Do(fn func() error) error { return errNeedLinux }

// Close needs Linux.
func (n *NS) Close() error { return nil }
