package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// maxComment is the longest opt_comment a pcapng option can carry (its
// length field is 16 bits).
const maxComment = 0xffff

// WritePcapng writes pkts to path as pcapng: one section, one interface
// description block (if_tsresol 9, nanoseconds) per distinct pair of
// Interface and LinkType in the order they first appear, named after
// Interface, and one Enhanced Packet Block per packet, for its interface,
// carrying its Comment as opt_comment when it is not empty. Packets of
// several links (a merged capture) keep their own link types and names, so
// Wireshark shows frame.interface_name. An empty pkts writes one Ethernet
// interface with no packets.
func WritePcapng(path string, pkts []Packet) (err error) {
	for i, p := range pkts {
		if len(p.Comment) > maxComment || !utf8.ValidString(p.Comment) {
			return fmt.Errorf("capture: write %s: packet %d: comment is not UTF-8 of at most %d bytes", path, i, maxComment)
		}
		if len(p.Interface) > maxComment || !utf8.ValidString(p.Interface) {
			return fmt.Errorf("capture: write %s: packet %d: interface name is not UTF-8 of at most %d bytes", path, i, maxComment)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("capture: write: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("capture: write %s: %w", path, cerr)
		}
	}()
	if err := writeNg(f, pkts); err != nil {
		return fmt.Errorf("capture: write %s: %w", path, err)
	}
	return nil
}

// ngInterface identifies one interface description block.
type ngInterface struct {
	name string
	link layers.LinkType
}

// writeNg writes pkts as one pcapng section to w (see WritePcapng).
func writeNg(w io.Writer, pkts []Packet) error {
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = layers.LinkTypeEthernet
	if len(pkts) > 0 {
		intf.Name, intf.LinkType = pkts[0].Interface, pkts[0].LinkType
	}
	wopts := pcapgo.DefaultNgWriterOptions
	wopts.SectionInfo.Application = "tcplab"
	nw, err := pcapgo.NewNgWriterInterface(w, intf, wopts)
	if err != nil {
		return err
	}
	index := map[ngInterface]int{{intf.Name, intf.LinkType}: 0}
	for i, p := range pkts {
		key := ngInterface{p.Interface, p.LinkType}
		id, ok := index[key]
		if !ok {
			next := pcapgo.DefaultNgInterface
			next.Name, next.LinkType = p.Interface, p.LinkType
			if id, err = nw.AddInterface(next); err != nil {
				return fmt.Errorf("interface %q: %w", p.Interface, err)
			}
			index[key] = id
		}
		ci := gopacket.CaptureInfo{
			Timestamp:      p.Time,
			CaptureLength:  len(p.Data),
			Length:         len(p.Data),
			InterfaceIndex: id,
		}
		var popts pcapgo.NgPacketOptions
		if p.Comment != "" {
			popts.Comments = []string{p.Comment}
		}
		if err := nw.WritePacketWithOptions(ci, p.Data, popts); err != nil {
			return fmt.Errorf("packet %d: %w", i, err)
		}
	}
	return nw.Flush()
}

// File format magics: the pcapng Section Header Block type, the pcap
// microsecond and nanosecond magics (either byte order), and gzip.
const (
	magicPcapng     = 0x0a0d0d0a
	magicPcapMicro  = 0xa1b2c3d4
	magicPcapNano   = 0xa1b23c4d
	magicPcapMicroS = 0xd4c3b2a1
	magicPcapNanoS  = 0x4d3cb2a1
)

// ReadFile reads a pcap or pcapng file (optionally gzip-compressed),
// recognised by its magic number. Packet comments (pcapng opt_comment) are
// read back; several comments on one packet are joined with newlines. In
// pcapng each packet gets the link type of its interface.
func ReadFile(path string) ([]Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: read: %w", err)
	}
	defer f.Close()
	pkts, err := read(bufio.NewReader(f))
	if err != nil {
		return pkts, fmt.Errorf("capture: read %s: %w", path, err)
	}
	return pkts, nil
}

func read(r *bufio.Reader) ([]Packet, error) {
	head, err := r.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("file too short for a capture header: %w", err)
	}
	if head[0] == 0x1f && head[1] == 0x8b {
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		return read(bufio.NewReader(z))
	}
	// The pcapng block type reads the same in both byte orders.
	switch m := binary.LittleEndian.Uint32(head); m {
	case magicPcapng:
		return readNg(r)
	case magicPcapMicro, magicPcapNano, magicPcapMicroS, magicPcapNanoS:
		return readPcap(r)
	default:
		return nil, fmt.Errorf("unknown magic %#08x: neither pcap nor pcapng", m)
	}
}

func readNg(r io.Reader) ([]Packet, error) {
	ng, err := pcapgo.NewNgReader(r, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return nil, err
	}
	var pkts []Packet
	for {
		data, ci, opts, err := ng.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			return pkts, nil
		}
		if err != nil {
			return pkts, fmt.Errorf("packet %d: %w", len(pkts), err)
		}
		link := ng.LinkType()
		if len(ci.AncillaryData) > 0 {
			if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				link = lt
			}
		}
		var name string
		if intf, err := ng.Interface(ci.InterfaceIndex); err == nil {
			name = intf.Name
		}
		pkts = append(pkts, Packet{
			Time:      ci.Timestamp,
			LinkType:  link,
			Data:      bytes.Clone(data),
			Comment:   strings.Join(opts.Comments, "\n"),
			Interface: name,
		})
	}
}

func readPcap(r io.Reader) ([]Packet, error) {
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, err
	}
	var pkts []Packet
	for {
		data, ci, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return pkts, nil
		}
		if err != nil {
			return pkts, fmt.Errorf("packet %d: %w", len(pkts), err)
		}
		pkts = append(pkts, Packet{Time: ci.Timestamp, LinkType: pr.LinkType(), Data: bytes.Clone(data)})
	}
}
