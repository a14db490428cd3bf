//go:build !linux

package experiment

import (
	"errors"
	"net/netip"

	"github.com/tcplab/tcplab/internal/netlab"
)

// nagleSetInitCwnd needs Linux's routing netlink.
func nagleSetInitCwnd(ns *netlab.NS, dst netip.Addr, cwnd int) error {
	return errors.ErrUnsupported
}
