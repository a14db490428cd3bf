package analyze

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

func opt(kind layers.TCPOptionKind, data ...byte) layers.TCPOption {
	return layers.TCPOption{OptionType: kind, OptionLength: uint8(2 + len(data)), OptionData: data}
}

var nop = layers.TCPOption{OptionType: layers.TCPOptionKindNop, OptionLength: 1}

func TestOptionsFromSerializedPackets(t *testing.T) {
	cookie8 := []byte{0xec, 0x24, 0xd0, 0x29, 0x82, 0x30, 0x3f, 0xfe}
	cookie16 := bytes.Repeat([]byte{0xab}, 16)
	for _, tc := range []struct {
		name string
		opts []layers.TCPOption
		want Options
	}{
		{"none", nil, Options{WScale: -1}},
		{"linux SYN", []layers.TCPOption{
			opt(2, 0x05, 0xb4), opt(4), opt(8, 0, 0, 0, 1, 0, 0, 0, 0), nop, opt(3, 7),
		}, Options{MSS: 1460, WScale: 7, SACKPerm: true, TSVal: 1, HasTS: true}},
		{"timestamps echo", []layers.TCPOption{nop, nop, opt(8, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0x10, 0)},
			Options{WScale: -1, TSVal: 0xdeadbeef, TSEcr: 0x1000, HasTS: true}},
		{"wscale 0", []layers.TCPOption{nop, opt(3, 0)}, Options{WScale: 0}},
		{"TFO cookie request", []layers.TCPOption{opt(2, 0x05, 0xb4), opt(34)},
			Options{MSS: 1460, WScale: -1, TFO: &TFO{Cookie: []byte{}, Request: true}}},
		{"TFO cookie 8", []layers.TCPOption{opt(34, cookie8...)},
			Options{WScale: -1, TFO: &TFO{Cookie: cookie8}}},
		{"TFO cookie 16", []layers.TCPOption{opt(34, cookie16...)},
			Options{WScale: -1, TFO: &TFO{Cookie: cookie16}}},
		{"experimental TFO", []layers.TCPOption{opt(254, append([]byte{0xf9, 0x89}, cookie8...)...)},
			Options{WScale: -1, TFO: &TFO{Cookie: cookie8}}},
		{"experimental TFO request", []layers.TCPOption{opt(254, 0xf9, 0x89)},
			Options{WScale: -1, TFO: &TFO{Cookie: []byte{}, Request: true}}},
		{"experimental other magic", []layers.TCPOption{opt(254, 0x12, 0x34, 1, 2)}, Options{WScale: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pkt{syn: true, seq: 7, opts: tc.opts}
			segs, err := Decode([]Frame{{Time: time.Unix(1, 0), LinkType: layers.LinkTypeRaw, Data: p.ipPacket(t)}})
			if err != nil || len(segs) != 1 {
				t.Fatalf("Decode: %d segments, %v", len(segs), err)
			}
			if got := segs[0].Opts; !equalOptions(got, tc.want) {
				t.Errorf("options %s, want %s", fmtOpts(got), fmtOpts(tc.want))
			}
		})
	}
}

// TestParseOptionsMalformed feeds option bytes that no serializer would
// write; parsing keeps what came before the damage, as Linux does.
func TestParseOptionsMalformed(t *testing.T) {
	mss := []byte{2, 4, 0x05, 0xb4}
	for _, tc := range []struct {
		name string
		b    []byte
		want Options
	}{
		{"zero length stops", append(append([]byte{}, mss...), 3, 0, 7), Options{MSS: 1460, WScale: -1}},
		{"length one stops", append(append([]byte{}, mss...), 4, 1), Options{MSS: 1460, WScale: -1}},
		{"overrun stops", append(append([]byte{}, mss...), 8, 10, 0, 0), Options{MSS: 1460, WScale: -1}},
		{"lone kind at end", append(append([]byte{}, mss...), 3), Options{MSS: 1460, WScale: -1}},
		{"EOL ends the list", append([]byte{1, 0}, mss...), Options{WScale: -1}},
		{"wrong-size MSS is skipped", append([]byte{2, 3, 9}, 3, 3, 5), Options{WScale: 5}},
		{"wrong-size timestamps skipped", []byte{8, 6, 1, 2, 3, 4, 4, 2}, Options{WScale: -1, SACKPerm: true}},
		{"unknown kind skipped", []byte{99, 4, 1, 2, 4, 2}, Options{WScale: -1, SACKPerm: true}},
		{"short experimental skipped", []byte{254, 3, 0xf9, 4, 2}, Options{WScale: -1, SACKPerm: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseOptions(tc.b); !equalOptions(got, tc.want) {
				t.Errorf("parseOptions(% x) = %s, want %s", tc.b, fmtOpts(got), fmtOpts(tc.want))
			}
		})
	}
}

func equalOptions(a, b Options) bool {
	ta, tb := a.TFO, b.TFO
	a.TFO, b.TFO = nil, nil
	if a != b || (ta == nil) != (tb == nil) {
		return false
	}
	return ta == nil || (ta.Request == tb.Request && bytes.Equal(ta.Cookie, tb.Cookie) && (ta.Cookie == nil) == (tb.Cookie == nil))
}

func fmtOpts(o Options) string {
	tfo := "<nil>"
	if o.TFO != nil {
		tfo = fmt.Sprintf("{Cookie:%x Request:%v}", o.TFO.Cookie, o.TFO.Request)
	}
	o.TFO = nil
	return fmt.Sprintf("%+v TFO:%s", o, tfo)
}
