//go:build !linux

package tfo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"

	"github.com/tcplab/tcplab/sockopt"
)

var errUnsupported = fmt.Errorf("tfo: not implemented on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Dialer dials TCP connections whose first bytes ride in the SYN (Linux only).
type Dialer struct {
	Base     net.Dialer
	NoCookie bool
}

// DialWithData returns an error matching errors.ErrUnsupported.
func (d *Dialer) DialWithData(context.Context, string, string, []byte) (net.Conn, error) {
	return nil, errUnsupported
}

// DialWithData returns an error matching errors.ErrUnsupported.
func DialWithData(context.Context, string, string, []byte, ...sockopt.Control) (net.Conn, error) {
	return nil, errUnsupported
}

// Listen returns an error matching errors.ErrUnsupported.
func Listen(context.Context, string, string, int, ...sockopt.Control) (net.Listener, error) {
	return nil, errUnsupported
}

// SendtoFastOpen returns an error matching errors.ErrUnsupported.
func SendtoFastOpen(int, []byte, netip.AddrPort) (int, error) { return 0, errUnsupported }

// ReadMode returns an error matching errors.ErrUnsupported.
func ReadMode() (Mode, error) { return 0, errUnsupported }

// WriteMode returns an error matching errors.ErrUnsupported.
func WriteMode(Mode) error { return errUnsupported }

// HaveClient returns an error wrapping ErrNotSupported.
func HaveClient() error { return fmt.Errorf("tfo: client on %s: %w", runtime.GOOS, ErrNotSupported) }

// HaveServer returns an error wrapping ErrNotSupported.
func HaveServer() error { return fmt.Errorf("tfo: server on %s: %w", runtime.GOOS, ErrNotSupported) }

// FlushCookies returns an error matching errors.ErrUnsupported.
func FlushCookies() error { return errUnsupported }
