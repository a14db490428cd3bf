package tfo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
)

// Generic netlink framing (include/uapi/linux/netlink.h, genetlink.h,
// tcp_metrics.h), kept here so that building and parsing the messages is
// portable and fuzzable. Netlink headers are in host byte order.
const (
	nlmsgHdrLen           = 16 // sizeof(struct nlmsghdr)
	genlHdrLen            = 4  // sizeof(struct genlmsghdr)
	nlaHdrLen             = 4  // sizeof(struct nlattr)
	nlmsgError            = 2  // NLMSG_ERROR
	nlmFRequest           = 0x1
	nlmFAck               = 0x4
	genlIDCtrl            = 0x10 // GENL_ID_CTRL
	ctrlCmdGetFamily      = 3    // CTRL_CMD_GETFAMILY
	ctrlAttrFamilyID      = 1    // CTRL_ATTR_FAMILY_ID (u16)
	ctrlAttrFamilyName    = 2    // CTRL_ATTR_FAMILY_NAME (string)
	tcpMetricsGenlName    = "tcp_metrics"
	tcpMetricsGenlVersion = 1
	tcpMetricsCmdDel      = 2 // TCP_METRICS_CMD_DEL
)

func align4(n int) int { return (n + 3) &^ 3 }

// genlRequest builds one generic netlink message: struct nlmsghdr, struct
// genlmsghdr {cmd, version} and the attributes attrs (already encoded).
func genlRequest(family, flags uint16, seq uint32, cmd, version uint8, attrs []byte) []byte {
	n := nlmsgHdrLen + genlHdrLen + len(attrs)
	b := make([]byte, 0, n)
	b = binary.NativeEndian.AppendUint32(b, uint32(n))
	b = binary.NativeEndian.AppendUint16(b, family)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // nlmsg_pid: the kernel
	b = append(b, cmd, version, 0, 0)
	return append(b, attrs...)
}

// appendAttr appends a struct nlattr with its payload, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(nlaHdrLen+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	return append(b, make([]byte, align4(len(data))-len(data))...)
}

// getFamilyRequest asks the controller for the id of the family name.
func getFamilyRequest(name string, seq uint32) []byte {
	attrs := appendAttr(nil, ctrlAttrFamilyName, append([]byte(name), 0))
	return genlRequest(genlIDCtrl, nlmFRequest, seq, ctrlCmdGetFamily, 1, attrs)
}

// replyOf returns the payload and type of the message with sequence
// number seq in a datagram; an NLMSG_ERROR with a nonzero code becomes the
// errno.
func replyOf(b []byte, seq uint32) (typ uint16, payload []byte, err error) {
	for len(b) >= nlmsgHdrLen {
		l := binary.NativeEndian.Uint32(b[0:4])
		if l < nlmsgHdrLen || uint64(l) > uint64(len(b)) {
			return 0, nil, fmt.Errorf("tfo: netlink message length %d out of range (have %d bytes)", l, len(b))
		}
		typ, data := binary.NativeEndian.Uint16(b[4:6]), b[nlmsgHdrLen:l]
		if binary.NativeEndian.Uint32(b[8:12]) == seq {
			if typ == nlmsgError {
				if len(data) < 4 {
					return 0, nil, errors.New("tfo: short NLMSG_ERROR")
				}
				if code := int32(binary.NativeEndian.Uint32(data)); code != 0 {
					return typ, nil, syscall.Errno(-code)
				}
			}
			return typ, data, nil
		}
		if next := align4(int(l)); next < len(b) {
			b = b[next:]
		} else {
			break
		}
	}
	return 0, nil, fmt.Errorf("tfo: no netlink reply with sequence %d", seq)
}

// parseFamilyID finds CTRL_ATTR_FAMILY_ID in the controller's reply.
func parseFamilyID(b []byte, seq uint32) (uint16, error) {
	typ, data, err := replyOf(b, seq)
	if err != nil {
		return 0, err
	}
	if typ != genlIDCtrl || len(data) < genlHdrLen {
		return 0, fmt.Errorf("tfo: unexpected reply type %d to CTRL_CMD_GETFAMILY", typ)
	}
	attrs := data[genlHdrLen:]
	for len(attrs) >= nlaHdrLen {
		l := int(binary.NativeEndian.Uint16(attrs[0:2]))
		t := binary.NativeEndian.Uint16(attrs[2:4]) & 0x3fff // without NLA_F_NESTED, NLA_F_NET_BYTEORDER
		if l < nlaHdrLen || l > len(attrs) {
			return 0, fmt.Errorf("tfo: attribute length %d out of range", l)
		}
		if t == ctrlAttrFamilyID && l >= nlaHdrLen+2 {
			return binary.NativeEndian.Uint16(attrs[nlaHdrLen:]), nil
		}
		if align4(l) >= len(attrs) {
			break
		}
		attrs = attrs[align4(l):]
	}
	return 0, errors.New("tfo: no CTRL_ATTR_FAMILY_ID in the reply")
}
