package timewait

import (
	"encoding/binary"
	"fmt"
	"syscall"
)

// Netlink framing (include/uapi/linux/netlink.h), kept here so that the
// parsers build and fuzz on every platform.
const (
	nlmsgHdrLen = 16     // sizeof(struct nlmsghdr)
	nlmsgError  = 2      // NLMSG_ERROR
	nlmsgDone   = 3      // NLMSG_DONE
	nlmFRequest = 0x1    // NLM_F_REQUEST
	nlmFDump    = 0x300  // NLM_F_ROOT | NLM_F_MATCH
	nlmsgAlign  = 4      // NLMSG_ALIGNTO
	nlmsgErrLen = 4 + 16 // sizeof(struct nlmsgerr) without extended ACK
)

// nlmsg is one netlink message: its header fields and payload.
type nlmsg struct {
	typ   uint16
	flags uint16
	seq   uint32
	data  []byte
}

// splitNetlink splits a datagram read from a netlink socket into messages.
// Netlink headers are in host byte order.
func splitNetlink(b []byte) ([]nlmsg, error) {
	var msgs []nlmsg
	for len(b) >= nlmsgHdrLen {
		l := binary.NativeEndian.Uint32(b[0:4])
		if l < nlmsgHdrLen || uint64(l) > uint64(len(b)) {
			return nil, fmt.Errorf("timewait: netlink message length %d out of range (have %d bytes)", l, len(b))
		}
		msgs = append(msgs, nlmsg{
			typ:   binary.NativeEndian.Uint16(b[4:6]),
			flags: binary.NativeEndian.Uint16(b[6:8]),
			seq:   binary.NativeEndian.Uint32(b[8:12]),
			data:  b[nlmsgHdrLen:l],
		})
		next := (int(l) + nlmsgAlign - 1) &^ (nlmsgAlign - 1)
		if next > len(b) {
			break
		}
		b = b[next:]
	}
	return msgs, nil
}

// nlError decodes the payload of an NLMSG_ERROR message (struct nlmsgerr):
// nil for an ACK (error 0), the errno otherwise.
func nlError(data []byte) error {
	if len(data) < 4 {
		return fmt.Errorf("timewait: short NLMSG_ERROR (%d bytes)", len(data))
	}
	code := int32(binary.NativeEndian.Uint32(data[0:4]))
	if code == 0 {
		return nil
	}
	return syscall.Errno(-code)
}

// appendNlmsghdr appends a struct nlmsghdr for a message with payloadLen
// bytes of payload.
func appendNlmsghdr(b []byte, payloadLen int, typ, flags uint16, seq uint32) []byte {
	b = binary.NativeEndian.AppendUint32(b, uint32(nlmsgHdrLen+payloadLen))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	return binary.NativeEndian.AppendUint32(b, 0) // nlmsg_pid: the kernel
}
