//go:build !linux

package capture

import (
	"errors"
	"fmt"
)

// Capture is a running capture on one interface.
type Capture struct{}

// Open needs AF_PACKET sockets, which only Linux has.
func Open(ifname string, opts Options) (*Capture, error) {
	return nil, fmt.Errorf("capture: open %s: AF_PACKET: %w", ifname, errors.ErrUnsupported)
}

// Stop returns the packets captured so far.
func (c *Capture) Stop() ([]Packet, Stats, error) {
	return nil, Stats{}, fmt.Errorf("capture: stop: %w", errors.ErrUnsupported)
}
