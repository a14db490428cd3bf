package analyze

import (
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// fuzzLinks are the link types FuzzDecode picks from by its first byte.
var fuzzLinks = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeRaw, 12, layers.LinkTypeIPv6,
	layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeNull, layers.LinkTypeIEEE802_11,
}

// FuzzDecode runs arbitrary frames through Decode and everything built on
// it: nothing may panic, and every segment must be self-consistent.
func FuzzDecode(f *testing.F) {
	p := pkt{syn: true, seq: 1, payload: []byte("data"),
		opts: []layers.TCPOption{opt(2, 5, 0xb4), opt(34, 1, 2, 3, 4, 5, 6, 7, 8), opt(254, 0xf9, 0x89), nop, opt(3, 7)}}
	f.Add(byte(0), p.ethernet(f))
	f.Add(byte(1), p.ipPacket(f))
	p.v6 = true
	f.Add(byte(3), p.ipPacket(f))
	f.Add(byte(4), sll(p.ipPacket(f), true))
	f.Fuzz(func(t *testing.T, link byte, data []byte) {
		lt := fuzzLinks[int(link)%len(fuzzLinks)]
		frames := []Frame{{Time: time.Unix(0, 0), LinkType: lt, Data: data}, {Time: time.Unix(1, 0), LinkType: lt, Data: data}}
		segs, _ := Decode(frames)
		for _, s := range segs {
			if s.Payload < 0 || s.Opts.WScale < -1 || s.Opts.WScale > 255 || s.Opts.MSS < 0 || s.Opts.MSS > 0xffff {
				t.Fatalf("inconsistent segment %+v", s)
			}
			if s.Opts.TFO != nil && s.Opts.TFO.Request != (len(s.Opts.TFO.Cookie) == 0) {
				t.Fatalf("TFO %+v: Request must mean an empty cookie", s.Opts.TFO)
			}
		}
		for _, fl := range Flows(segs) {
			fl.Handshake()
			fl.Teardown()
			for _, c := range []bool{true, false} {
				fl.Data(c)
				fl.Retransmissions(c)
				if fl.Bytes(c) < 0 {
					t.Fatal("negative byte count")
				}
				Flights(fl, c, time.Millisecond)
				PureAcks(fl, c)
			}
		}
	})
}

// FuzzParseOptions checks the option parser on arbitrary option areas.
func FuzzParseOptions(f *testing.F) {
	f.Add([]byte{2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7})
	f.Add([]byte{34, 2})
	f.Add([]byte{34, 10, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{254, 4, 0xf9, 0x89})
	f.Add([]byte{1, 1, 0, 2, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 40 {
			b = b[:40] // a TCP header holds at most 40 bytes of options
		}
		o := parseOptions(b)
		if o.WScale < -1 || o.WScale > 255 {
			t.Fatalf("WScale %d", o.WScale)
		}
		if o.TFO != nil && len(o.TFO.Cookie) > 38 {
			t.Fatalf("cookie of %d bytes from %d option bytes", len(o.TFO.Cookie), len(b))
		}
		// Nothing after an EOL in front may matter.
		if e := parseOptions(append([]byte{optEOL}, b...)); !equalOptions(e, Options{WScale: -1}) {
			t.Fatalf("options after EOL parsed: %s", fmtOpts(e))
		}
	})
}
