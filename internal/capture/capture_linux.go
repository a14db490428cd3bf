package capture

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

// drainLimit bounds how long Stop waits for the reader to take the frames the
// kernel has already queued on the socket.
const drainLimit = 500 * time.Millisecond

// stopLimit bounds how long Stop waits for the reader to return after Close.
const stopLimit = 2 * time.Second

// Capture is a running capture on one interface.
type Capture struct {
	h       *pcapgo.EthernetHandle
	ifindex int
	link    layers.LinkType
	rcvbuf  int // SO_RCVBUF as the kernel granted it
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

// Open starts capturing every frame on ifname, in both directions. It must
// be called on the thread whose network namespace holds ifname: the
// AF_PACKET socket is created and bound there (socket(AF_PACKET, SOCK_RAW,
// ETH_P_ALL), bind to the ifindex) and stays in that namespace. Reading runs
// in a goroutine that Open starts; Stop ends it.
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
	h, err := pcapgo.NewEthernetHandle(ifname)
	if err != nil {
		return nil, err
	}
	f, err := socketFile(h)
	if err != nil {
		h.Close()
		return nil, err
	}
	rcvbuf, err := tune(f, hatype == unix.ARPHRD_LOOPBACK)
	if err != nil {
		h.Close()
		return nil, err
	}
	return &Capture{h: h, ifindex: ifi.Index, link: link, rcvbuf: rcvbuf, done: make(chan struct{})}, nil
}

// run reads frames until the handle is closed.
func (c *Capture) run() {
	defer close(c.done)
	for {
		data, ci, err := c.h.ReadPacketData()
		c.mu.Lock()
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
		if ci.InterfaceIndex == c.ifindex {
			c.pkts = append(c.pkts, Packet{Time: ci.Timestamp, LinkType: c.link, Data: data})
		}
		c.mu.Unlock()
	}
}

// stats folds one PACKET_STATISTICS read into the running totals. The
// kernel's tp_packets counts the frames queued to the socket plus tp_drops
// (net/packet/af_packet.c, packet_getsockopt).
func (c *Capture) stats() error {
	st, err := c.h.Stats()
	if err != nil {
		return fmt.Errorf("capture: getsockopt PACKET_STATISTICS: %w", err)
	}
	c.mu.Lock()
	c.queued += uint64(st.Packets) - uint64(st.Drops)
	c.drops += uint64(st.Drops)
	c.mu.Unlock()
	return nil
}

// Stop waits until the reader has taken every frame the kernel had already
// queued (at most half a second), closes the socket, and returns the
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
	if err := c.h.Close(); err != nil {
		errs = append(errs, fmt.Errorf("capture: close: %w", err))
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
