package capture

import (
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Packet is one captured frame.
type Packet struct {
	// Time is the kernel's receive timestamp (SO_TIMESTAMPNS).
	Time time.Time
	// LinkType says how Data starts: layers.LinkTypeEthernet for veth and
	// loopback, layers.LinkTypeRaw (an IP header) for TUN devices.
	LinkType layers.LinkType
	// Data is the whole frame as the kernel handed it over.
	Data []byte
	// Comment is written as the packet's opt_comment in pcapng; empty for none.
	Comment string
	// Interface names where the packet was captured: the device's name, or
	// any label the caller gives it ("client/to-server"). WritePcapng
	// writes one interface description block per distinct name and link
	// type, with this as its if_name, so Wireshark shows which link a
	// packet crossed.
	Interface string
}

// Options tune Open.
type Options struct {
	// LinkType overrides detection. Zero means: derive it from the
	// interface's ARPHRD type (Ethernet and loopback → Ethernet, TUN and
	// raw-IP devices → layers.LinkTypeRaw).
	LinkType layers.LinkType
}

// Stats counts what a capture saw.
type Stats struct {
	// Packets is the number of packets Stop returned.
	Packets int
	// KernelDrops is the sum of tp_drops from PACKET_STATISTICS: frames the
	// kernel could not queue to the socket because its buffer was full.
	KernelDrops int
}
