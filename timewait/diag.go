package timewait

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// inet_diag over NETLINK_SOCK_DIAG (include/uapi/linux/inet_diag.h,
// include/uapi/linux/sock_diag.h; net/ipv4/inet_diag.c).
const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	afInet           = 2  // AF_INET
	afInet6          = 10 // AF_INET6
	ipprotoTCP       = 6
	diagReqLen       = 56 // sizeof(struct inet_diag_req_v2)
	diagMsgLen       = 72 // sizeof(struct inet_diag_msg)
)

// stateMask turns states into the idiag_states bit mask (TCPF_* = 1 << state).
// No states means all of them.
func stateMask(states []State) uint32 {
	if len(states) == 0 {
		return ^uint32(0)
	}
	var m uint32
	for _, s := range states {
		if s < 32 {
			m |= 1 << s
		}
	}
	return m
}

// diagRequest builds a dump request for the TCP sockets of one address
// family in the given states: struct nlmsghdr (SOCK_DIAG_BY_FAMILY,
// NLM_F_REQUEST|NLM_F_DUMP) followed by struct inet_diag_req_v2 with a zero
// inet_diag_sockid (no filter on addresses).
func diagRequest(family uint8, states, seq uint32) []byte {
	b := make([]byte, 0, nlmsgHdrLen+diagReqLen)
	b = appendNlmsghdr(b, diagReqLen, sockDiagByFamily, nlmFRequest|nlmFDump, seq)
	b = append(b, family, ipprotoTCP, 0, 0) // sdiag_family, sdiag_protocol, idiag_ext, pad
	b = binary.NativeEndian.AppendUint32(b, states)
	return append(b, make([]byte, 48)...) // struct inet_diag_sockid
}

// parseDiagDump parses one datagram of a dump reply. done reports
// NLMSG_DONE; an NLMSG_ERROR becomes err. Messages of another sequence
// number are skipped.
func parseDiagDump(b []byte, seq uint32) (socks []Socket, done bool, err error) {
	msgs, err := splitNetlink(b)
	if err != nil {
		return nil, false, err
	}
	for _, m := range msgs {
		if m.seq != seq {
			continue
		}
		switch m.typ {
		case nlmsgDone:
			return socks, true, nil
		case nlmsgError:
			if err := nlError(m.data); err != nil {
				return socks, true, fmt.Errorf("timewait: inet_diag dump: %w", err)
			}
		case sockDiagByFamily:
			s, err := parseDiagMsg(m.data)
			if err != nil {
				return socks, false, err
			}
			socks = append(socks, s)
		}
	}
	return socks, false, nil
}

// parseDiagMsg decodes the fixed part of struct inet_diag_msg: family,
// state, the socket id (ports and addresses in network byte order) and
// idiag_expires, the milliseconds left on the socket's timer (for a
// TIME_WAIT socket: until it is freed; net/ipv4/inet_diag.c
// inet_twsk_diag_fill). Attributes after the fixed part are ignored.
func parseDiagMsg(b []byte) (Socket, error) {
	if len(b) < diagMsgLen {
		return Socket{}, fmt.Errorf("timewait: short inet_diag_msg (%d bytes, want %d)", len(b), diagMsgLen)
	}
	sport := binary.BigEndian.Uint16(b[4:6])
	dport := binary.BigEndian.Uint16(b[6:8])
	var src, dst netip.Addr
	switch b[0] {
	case afInet:
		src = netip.AddrFrom4([4]byte(b[8:12]))
		dst = netip.AddrFrom4([4]byte(b[24:28]))
	case afInet6:
		src = netip.AddrFrom16([16]byte(b[8:24]))
		dst = netip.AddrFrom16([16]byte(b[24:40]))
	default:
		return Socket{}, fmt.Errorf("timewait: inet_diag_msg of family %d", b[0])
	}
	expires := binary.NativeEndian.Uint32(b[52:56])
	return Socket{
		Local:     netip.AddrPortFrom(src, sport),
		Remote:    netip.AddrPortFrom(dst, dport),
		State:     State(b[1]),
		Remaining: time.Duration(expires) * time.Millisecond,
	}, nil
}
