package timewait

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// userHZ is USER_HZ, the unit of the tm->when column (clock_t).
const userHZ = 100

// parseProcNet parses the text of /proc/thread-self/net/tcp or tcp6, as
// net/ipv4/tcp_ipv4.c tcp4_seq_show (get_tcp4_sock, get_timewait4_sock) and
// net/ipv6/tcp_ipv6.c tcp6_seq_show print it:
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when ...
//	0: 0100007F:1F90 0100007F:A2C4 06 00000000:00000000 03:0000176F ...
//
// Addresses are the in-memory __be32 words printed as host-order hex, so
// order must be the byte order of the kernel that wrote the text; ports are
// host-order hex. tm->when is in clock_t (1/100 s); for a TIME_WAIT entry
// (tr 3) it is the time until the socket is freed.
func parseProcNet(r io.Reader, order binary.ByteOrder) ([]Socket, error) {
	var socks []Socket
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "sl" {
			continue
		}
		s, err := parseProcLine(f, order)
		if err != nil {
			return nil, fmt.Errorf("timewait: /proc/net/tcp line %d: %w", line, err)
		}
		socks = append(socks, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("timewait: read /proc/net/tcp: %w", err)
	}
	return socks, nil
}

// parseProcLine parses the fields of one socket line.
func parseProcLine(f []string, order binary.ByteOrder) (Socket, error) {
	if len(f) < 6 {
		return Socket{}, fmt.Errorf("%d fields, want at least 6", len(f))
	}
	local, err := parseProcAddrPort(f[1], order)
	if err != nil {
		return Socket{}, err
	}
	remote, err := parseProcAddrPort(f[2], order)
	if err != nil {
		return Socket{}, err
	}
	st, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return Socket{}, fmt.Errorf("state %q: %w", f[3], err)
	}
	tr, when, ok := strings.Cut(f[5], ":")
	if !ok {
		return Socket{}, fmt.Errorf("timer %q: want tr:when", f[5])
	}
	timer, err := strconv.ParseUint(tr, 16, 8)
	if err != nil {
		return Socket{}, fmt.Errorf("timer %q: %w", f[5], err)
	}
	ticks, err := strconv.ParseUint(when, 16, 64)
	if err != nil {
		return Socket{}, fmt.Errorf("timer %q: %w", f[5], err)
	}
	if ticks > math.MaxInt64/uint64(time.Second/userHZ) {
		return Socket{}, fmt.Errorf("timer %q: out of range", f[5])
	}
	s := Socket{Local: local, Remote: remote, State: State(st)}
	if timer != 0 {
		s.Remaining = time.Duration(ticks) * (time.Second / userHZ)
	}
	return s, nil
}

// parseProcAddrPort parses "0100007F:1F90" (IPv4) or 32 hex digits and a
// port (IPv6).
func parseProcAddrPort(s string, order binary.ByteOrder) (netip.AddrPort, error) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q: want addr:port", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", s, err)
	}
	if len(h) != 8 && len(h) != 32 {
		return netip.AddrPort{}, fmt.Errorf("address %q: want 8 or 32 hex digits", s)
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", s, err)
	}
	// Each 32-bit word was printed as a host-order number: put it back.
	for i := 0; i < len(raw); i += 4 {
		order.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	var a netip.Addr
	if len(raw) == 4 {
		a = netip.AddrFrom4([4]byte(raw))
	} else {
		a = netip.AddrFrom16([16]byte(raw))
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}
