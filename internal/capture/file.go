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

// WritePcapng writes pkts to path as pcapng: one section, one interface with
// if_tsresol 9 (nanoseconds), and one Enhanced Packet Block per packet
// carrying its Comment as opt_comment when it is not empty. Every packet
// is written for interface 0: pcapgo's writer knows only the interfaces
// added to the file, not the kernel's ifindex that EthernetHandle reports.
// All packets must share one link type; an empty pkts writes an Ethernet
// interface with no packets.
func WritePcapng(path string, pkts []Packet) (err error) {
	link := layers.LinkTypeEthernet
	if len(pkts) > 0 {
		link = pkts[0].LinkType
	}
	for i, p := range pkts {
		if p.LinkType != link {
			return fmt.Errorf("capture: write %s: packet %d has link type %v, packet 0 has %v", path, i, p.LinkType, link)
		}
		if len(p.Comment) > maxComment || !utf8.ValidString(p.Comment) {
			return fmt.Errorf("capture: write %s: packet %d: comment is not UTF-8 of at most %d bytes", path, i, maxComment)
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
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = link
	wopts := pcapgo.DefaultNgWriterOptions
	wopts.SectionInfo.Application = "tcplab"
	w, err := pcapgo.NewNgWriterInterface(f, intf, wopts)
	if err != nil {
		return fmt.Errorf("capture: write %s: %w", path, err)
	}
	for i, p := range pkts {
		ci := gopacket.CaptureInfo{
			Timestamp:      p.Time,
			CaptureLength:  len(p.Data),
			Length:         len(p.Data),
			InterfaceIndex: 0,
		}
		var popts pcapgo.NgPacketOptions
		if p.Comment != "" {
			popts.Comments = []string{p.Comment}
		}
		if err := w.WritePacketWithOptions(ci, p.Data, popts); err != nil {
			return fmt.Errorf("capture: write %s: packet %d: %w", path, i, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("capture: write %s: %w", path, err)
	}
	return nil
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
		pkts = append(pkts, Packet{
			Time:     ci.Timestamp,
			LinkType: link,
			Data:     bytes.Clone(data),
			Comment:  strings.Join(opts.Comments, "\n"),
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
