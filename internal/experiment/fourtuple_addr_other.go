//go:build !linux

package experiment

import (
	"errors"
	"net/netip"

	"github.com/tcplab/tcplab/internal/netlab"
)

func addHostAddr(*netlab.NS, string, netip.Addr, netip.Addr) error {
	return errors.ErrUnsupported
}
