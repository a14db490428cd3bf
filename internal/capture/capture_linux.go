package capture

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"
)

// drainLimit bounds how long Stop waits for the reader to take the frames the
// kernel has already queued on the socket. After a transfer at the
// emulator's top rate the backlog takes about a second to read; closing
// earlier would discard queued frames that PACKET_STATISTICS never counts
// as drops.
const drainLimit = 5 * time.Second

// stopLimit bounds how long Stop waits for the reader to return after Close.
const stopLimit = 2 * time.Second

// Capture is a running capture on one interface.
type Capture struct {
	sock    *packetSocket
	ifname  string
	ifindex int
	link    layers.LinkType
	done    chan struct{}

	mu      sync.Mutex
	pkts    []Packet
	read    uint64 // frames taken off the socket, other interfaces' included
	readErr error
	closing bool

	// queued and drops accumulate PACKET_STATISTICS, which the kernel
	// resets on every read.
	queued uint64
	drops  uint64

	stopOnce sync.Once
	stopErr  error
}

// Open starts capturing every frame on ifname, in both directions, whole
// (up to 256 KiB, so GSO super-frames are never cut). It must be called on
// the thread whose network namespace holds ifname: the AF_PACKET socket is
// created and bound there and stays in that namespace. Reading runs in a
// goroutine that Open starts; Stop ends it.
//
// The socket gets a 16 MiB receive buffer, so bursts faster than the reader
// are queued rather than dropped, and on loopback it ignores outgoing frames
// (PACKET_IGNORE_OUTGOING) so that each frame is seen once, not twice.
func Open(ifname string, opts Options) (*Capture, error) {
	c, err := open(ifname, opts)
	if err != nil {
		return nil, fmt.Errorf("capture: open %s: %w", ifname, err)
	}
	go c.run()
	return c, nil
}

func open(ifname string, opts Options) (*Capture, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, err
	}
	hatype, err := arphrd(ifname)
	if err != nil {
		return nil, err
	}
	link := opts.LinkType
	if link == 0 {
		if link, err = linkTypeOf(hatype); err != nil {
			return nil, err
		}
	}
	sock, err := openPacketSocket(ifi.Index, hatype == unix.ARPHRD_LOOPBACK)
	if err != nil {
		return nil, err
	}
	return &Capture{sock: sock, ifname: ifname, ifindex: ifi.Index, link: link, done: make(chan struct{})}, nil
}

// run reads frames until the handle is closed.
func (c *Capture) run() {
	defer close(c.done)
	for {
		data, ts, ifindex, err := c.sock.read()
		c.mu.Lock()
		if errors.Is(err, errIfDown) && !c.closing {
			// The interface went down; the kernel reports that once and
			// rebinds the socket when it comes back up.
			c.mu.Unlock()
			continue
		}
		if err != nil {
			if !c.closing {
				c.readErr = fmt.Errorf("capture: read: %w", err)
			}
			c.mu.Unlock()
			return
		}
		c.read++
		// Until bind(2) returns the socket receives from every interface;
		// keep only frames of ours.
		if ifindex == c.ifindex {
			c.pkts = append(c.pkts, Packet{Time: ts, LinkType: c.link, Data: data, Interface: c.ifname})
		}
		c.mu.Unlock()
	}
}

// stats folds one PACKET_STATISTICS read into the running totals. The
// kernel's tp_packets counts the frames queued to the socket plus tp_drops
// (net/packet/af_packet.c, packet_getsockopt).
func (c *Capture) stats() error {
	packets, drops, err := c.sock.stats()
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	c.mu.Lock()
	c.queued += uint64(packets) - uint64(drops)
	c.drops += uint64(drops)
	c.mu.Unlock()
	return nil
}

// Stop waits until the reader has taken every frame the kernel had already
// queued (at most drainLimit), closes the socket, and returns the
// packets in the order the kernel queued them. Calling Stop again returns
// the same packets and error.
func (c *Capture) Stop() ([]Packet, Stats, error) {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	c.mu.Lock()
	defer c.mu.Unlock()
	pkts := append([]Packet(nil), c.pkts...)
	return pkts, Stats{Packets: len(pkts), KernelDrops: int(c.drops)}, c.stopErr
}

func (c *Capture) stop() error {
	var errs []error
	deadline := time.Now().Add(drainLimit)
	for {
		if err := c.stats(); err != nil {
			errs = append(errs, err)
			break
		}
		c.mu.Lock()
		caughtUp := c.read >= c.queued
		c.mu.Unlock()
		if caughtUp || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	if err := c.sock.close(); err != nil {
		errs = append(errs, fmt.Errorf("capture: %w", err))
	}
	select {
	case <-c.done:
	case <-time.After(stopLimit):
		errs = append(errs, errors.New("capture: reader did not return after close"))
	}
	c.mu.Lock()
	if c.readErr != nil {
		errs = append(errs, c.readErr)
	}
	c.mu.Unlock()
	return errors.Join(errs...)
}
