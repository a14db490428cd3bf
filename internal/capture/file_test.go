package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// frame builds an Ethernet/IPv4/TCP frame from 10.0.0.1:port to 10.0.0.2:80.
func frame(t testing.TB, port uint16, syn bool, payload string) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2}}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(port), DstPort: 80, Seq: 1000, SYN: syn, ACK: !syn, Window: 64240}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(payload))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func samplePackets(t testing.TB) []Packet {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC)
	return []Packet{
		{Time: t0, LinkType: layers.LinkTypeEthernet, Data: frame(t, 40000, true, ""), Comment: "SYN — client opens, t=0", Interface: "client/veth0"},
		{Time: t0.Add(37200 * time.Microsecond), LinkType: layers.LinkTypeEthernet, Data: frame(t, 40000, false, "")},
		{Time: t0.Add(37200*time.Microsecond + 7), LinkType: layers.LinkTypeEthernet, Data: frame(t, 40000, false, "GET / HTTP/1.1\r\n\r\n"), Comment: "request, 1 RTT = 37.2 ms"},
	}
}

// TestWritePcapngReadFileRoundTrip writes packets of one link and reads
// them back unchanged.
func TestWritePcapngReadFileRoundTrip(t *testing.T) {
	roundTrip(t, samplePackets(t))
}

// roundTrip writes in with WritePcapng, reads it back with ReadFile,
// requires every field of every packet to survive and returns the file.
func roundTrip(t *testing.T, in []Packet) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rt.pcapng")
	if err := WritePcapng(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d packets, wrote %d", len(out), len(in))
	}
	for i := range in {
		if !out[i].Time.Equal(in[i].Time) {
			t.Errorf("packet %d: time %v, wrote %v (nanoseconds must survive)", i, out[i].Time, in[i].Time)
		}
		if out[i].Comment != in[i].Comment {
			t.Errorf("packet %d: comment %q, wrote %q", i, out[i].Comment, in[i].Comment)
		}
		if out[i].LinkType != in[i].LinkType || !bytes.Equal(out[i].Data, in[i].Data) {
			t.Errorf("packet %d: link %v data %x, wrote link %v data %x", i, out[i].LinkType, out[i].Data, in[i].LinkType, in[i].Data)
		}
		if out[i].Interface != in[i].Interface {
			t.Errorf("packet %d: interface %q, wrote %q", i, out[i].Interface, in[i].Interface)
		}
	}
	return path
}

// mergedPackets interleaves packets of two links with different link
// types, as a merged capture of a TUN link and loopback has them.
func mergedPackets(t testing.TB) []Packet {
	in := samplePackets(t)
	for i := range in {
		in[i].Interface = "client/lo"
	}
	raw := func(p Packet, d time.Duration) Packet {
		return Packet{Time: p.Time.Add(d), LinkType: layers.LinkTypeRaw, Data: p.Data[14:], Interface: "client/to-server",
			Comment: "over the link"}
	}
	return []Packet{in[0], raw(in[0], time.Microsecond), in[1], raw(in[1], time.Microsecond), in[2]}
}

// TestWritePcapngInterfaces writes packets of two links with different
// link types: each keeps its link type and interface name through a round
// trip, and the file holds one interface per link.
func TestWritePcapngInterfaces(t *testing.T) {
	path := roundTrip(t, mergedPackets(t))
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ng, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err := ng.ReadPacketData(); err != nil {
			break
		}
	}
	if n := ng.NInterfaces(); n != 2 {
		t.Errorf("%d interface description blocks, want 2", n)
	}
}

func TestWritePcapngRejects(t *testing.T) {
	dir := t.TempDir()
	good := samplePackets(t)
	for _, tc := range []struct {
		name   string
		mutate func([]Packet)
	}{
		{"interface name not UTF-8", func(p []Packet) { p[1].Interface = "lo\xff" }},
		{"comment too long", func(p []Packet) { p[0].Comment = strings.Repeat("x", maxComment+1) }},
		{"comment not UTF-8", func(p []Packet) { p[2].Comment = "\xff\xfe" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := append([]Packet(nil), good...)
			tc.mutate(p)
			if err := WritePcapng(filepath.Join(dir, "x.pcapng"), p); err == nil {
				t.Fatal("WritePcapng accepted it")
			}
		})
	}
}

func TestWritePcapngEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.pcapng")
	if err := WritePcapng(path, nil); err != nil {
		t.Fatal(err)
	}
	pkts, err := ReadFile(path)
	if err != nil || len(pkts) != 0 {
		t.Fatalf("ReadFile of an empty capture: %d packets, %v", len(pkts), err)
	}
}

func TestReadFilePcapAndGzip(t *testing.T) {
	in := samplePackets(t)
	dir := t.TempDir()
	var raw bytes.Buffer
	w := pcapgo.NewWriterNanos(&raw)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range in {
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
		if err := w.WritePacket(ci, p.Data); err != nil {
			t.Fatal(err)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	for name, b := range map[string][]byte{"plain.pcap": raw.Bytes(), "zipped.pcap.gz": gz.Bytes()} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(out) != len(in) {
			t.Fatalf("%s: %d packets, want %d", name, len(out), len(in))
		}
		for i := range in {
			if !out[i].Time.Equal(in[i].Time) || out[i].LinkType != layers.LinkTypeEthernet || out[i].Comment != "" {
				t.Errorf("%s packet %d: %v %v %q", name, i, out[i].Time, out[i].LinkType, out[i].Comment)
			}
		}
	}
}

func TestReadFileRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(path, []byte("this is not a capture"), 0o644)
	if _, err := ReadFile(path); err == nil {
		t.Fatal("ReadFile accepted a text file")
	}
}

// TestTsharkReadsComments checks the file with Wireshark's own reader: every
// packet decodes and the comments show as frame.comment.
func TestTsharkReadsComments(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	in := samplePackets(t)
	path := filepath.Join(t.TempDir(), "ws.pcapng")
	if err := WritePcapng(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "frame.number",
		"-e", "frame.time_epoch", "-e", "tcp.flags.syn", "-e", "frame.comment").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, "Running as user") {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(in) {
		t.Fatalf("tshark printed %d lines for %d packets:\n%s", len(lines), len(in), out)
	}
	for i, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			t.Fatalf("line %q: want 4 fields", l)
		}
		if want := in[i].Comment; f[3] != want {
			t.Errorf("packet %d: tshark comment %q, want %q", i, f[3], want)
		}
		if want := fmt.Sprintf("%d.%09d", in[i].Time.Unix(), in[i].Time.Nanosecond()); f[1] != want {
			t.Errorf("packet %d: tshark time %s, want %s (nanoseconds)", i, f[1], want)
		}
	}
	if f := strings.Split(lines[0], "\t"); f[2] != "1" && f[2] != "True" {
		t.Errorf("tshark does not see a SYN in packet 1: %q", lines[0])
	}
}

// TestTsharkReadsInterfaces checks that Wireshark's reader decodes a merged
// capture: every packet as TCP, under the name of the link it crossed.
func TestTsharkReadsInterfaces(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	in := mergedPackets(t)
	path := filepath.Join(t.TempDir(), "merged.pcapng")
	if err := WritePcapng(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "frame.interface_name", "-e", "tcp.srcport").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(l, "Running as user") {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(in) {
		t.Fatalf("tshark printed %d lines for %d packets:\n%s", len(lines), len(in), out)
	}
	for i, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 2 || f[0] != in[i].Interface || f[1] == "" {
			t.Errorf("packet %d: tshark says %q, want interface %q and a TCP port", i, l, in[i].Interface)
		}
	}
}

func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.pcapng")
	if err := WritePcapng(path, samplePackets(f)); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts, err := read(bufio.NewReader(bytes.NewReader(b)))
		if err == nil {
			for _, p := range pkts {
				_ = p.Data
			}
		}
	})
}
