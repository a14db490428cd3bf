//go:build !linux

package timewait

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"time"
)

var errUnsupported = fmt.Errorf("timewait: not implemented on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// ReadReuse returns an error matching errors.ErrUnsupported.
func ReadReuse() (Reuse, error) { return 0, errUnsupported }

// WriteReuse returns an error matching errors.ErrUnsupported.
func WriteReuse(Reuse) error { return errUnsupported }

// ReadReuseDelay returns an error matching errors.ErrUnsupported.
func ReadReuseDelay() (time.Duration, error) { return 0, errUnsupported }

// WriteReuseDelay returns an error matching errors.ErrUnsupported.
func WriteReuseDelay(time.Duration) error { return errUnsupported }

// ReadPortRange returns an error matching errors.ErrUnsupported.
func ReadPortRange() (lo, hi uint16, err error) { return 0, 0, errUnsupported }

// WritePortRange returns an error matching errors.ErrUnsupported.
func WritePortRange(lo, hi uint16) error { return errUnsupported }

// RecycleAvailable reports false: tcp_tw_recycle is a Linux sysctl.
func RecycleAvailable() bool { return false }

// Census returns an error matching errors.ErrUnsupported.
func Census() ([]Socket, error) { return nil, errUnsupported }

// Sockets returns an error matching errors.ErrUnsupported.
func Sockets(...State) ([]Socket, error) { return nil, errUnsupported }

// CensusProc returns an error matching errors.ErrUnsupported.
func CensusProc() ([]Socket, error) { return nil, errUnsupported }

// ListenReuseAddr returns an error matching errors.ErrUnsupported.
func ListenReuseAddr(netip.AddrPort, bool) (int, error) { return -1, errUnsupported }
