package httpwire

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// tcharTable marks tchar (RFC 9110 §5.6.2):
// "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
var tcharTable = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isTchar(c byte) bool { return tcharTable[c] }

// fieldByteOK marks the octets allowed inside a field value or a
// reason-phrase: HTAB, SP, VCHAR and obs-text (RFC 9110 §5.5).
var fieldByteOK = func() (t [256]bool) {
	t['\t'] = true
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != 0x7f
	}
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// ctlIndex returns the index of the first octet of b that is a control
// character (below 0x20, or 0x7f: HTAB, CR and LF included), or len(b).
// Eight octets are checked at a time: in the mask, the lowest flagged octet
// is exact (borrows only run upwards), so it is the first one.
func ctlIndex(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x ^ (0x7f * lsb)
		if m := ((x-0x20*lsb)&^x | (y-lsb)&^y) & msb; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == 0x7f {
			return i
		}
	}
	return len(b)
}

// hasCtl reports whether b holds a control character (below 0x20, or 0x7f),
// HTAB included, eight octets at a time without a branch per word.
func hasCtl(b []byte) bool {
	if len(b) < 8 {
		for _, c := range b {
			if c < 0x20 || c == 0x7f {
				return true
			}
		}
		return false
	}
	var acc uint64
	for i := 0; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x ^ (0x7f * lsb)
		acc |= (x-0x20*lsb)&^x | (y-lsb)&^y
	}
	x := binary.LittleEndian.Uint64(b[len(b)-8:]) // the tail, overlapping
	y := x ^ (0x7f * lsb)
	acc |= (x-0x20*lsb)&^x | (y-lsb)&^y
	return acc&msb != 0
}

// badFieldByte returns the index of the first octet of b that may not appear
// in a field value (a control character other than HTAB), or -1.
func badFieldByte(b []byte) int {
	for i := 0; ; i++ {
		i += ctlIndex(b[i:])
		if i == len(b) {
			return -1
		}
		if b[i] != '\t' {
			return i
		}
	}
}

// badTargetByte returns the index of the first octet of b outside
// 0x21..0x7e, the visible US-ASCII a request-target is made of
// (RFC 9112 §3.2, RFC 3986 §2), or len(b).
func badTargetByte(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x ^ (0x7f * lsb)
		if m := ((x-0x21*lsb)&^x | (y-lsb)&^y | x) & msb; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x21 || c > 0x7e {
			return i
		}
	}
	return len(b)
}

// bstr returns a string that shares b's storage. The codec uses it only on
// storage a message owns and rewrites only on the next read into that message.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
