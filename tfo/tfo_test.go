package tfo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
)

func TestModeString(t *testing.T) {
	tests := []struct {
		m    Mode
		want string
	}{
		{0, "0x0 (off)"},
		{Client, "0x1 (Client)"},
		{Client | Server, "0x3 (Client|Server)"},
		{Server | ServerNoCookie | ServerWithoutSockopt, "0x602 (Server|ServerNoCookie|ServerWithoutSockopt)"},
		{ClientNoCookie | 0x8, "0xc (ClientNoCookie|0x8)"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Mode(%#x).String() = %q, want %q", uint32(tt.m), got, tt.want)
		}
	}
}

func TestErrNotSupported(t *testing.T) {
	if !errors.Is(ErrNotSupported, errors.ErrUnsupported) {
		t.Error("ErrNotSupported does not match errors.ErrUnsupported")
	}
}

func TestGetFamilyRequest(t *testing.T) {
	b := getFamilyRequest("tcp_metrics", 5)
	want := []byte{
		0x10, 0x00, // nlmsg_type GENL_ID_CTRL
		0x01, 0x00, // NLM_F_REQUEST
		5, 0, 0, 0, 0, 0, 0, 0, // seq, pid
		3, 1, 0, 0, // CTRL_CMD_GETFAMILY, version 1
		16, 0, 2, 0, // nla_len 4+12, CTRL_ATTR_FAMILY_NAME
		't', 'c', 'p', '_', 'm', 'e', 't', 'r', 'i', 'c', 's', 0,
	}
	if binary.NativeEndian.Uint32(b) != uint32(len(b)) || len(b) != 4+len(want) {
		t.Fatalf("length %d, header says %d, want %d", len(b), binary.NativeEndian.Uint32(b), 4+len(want))
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 && !bytes.Equal(b[4:], want) { // checked on little-endian hosts
		t.Errorf("request\n% x\nwant\n% x", b[4:], want)
	}
}

// familyReply builds the controller's answer: CTRL_ATTR_FAMILY_NAME, then
// CTRL_ATTR_FAMILY_ID.
func familyReply(seq uint32, id uint16) []byte {
	attrs := appendAttr(nil, ctrlAttrFamilyName, []byte("tcp_metrics\x00"))
	attrs = appendAttr(attrs, ctrlAttrFamilyID, binary.NativeEndian.AppendUint16(nil, id))
	return genlRequest(genlIDCtrl, 0, seq, 1, 2, attrs)
}

func errorReply(seq uint32, errno syscall.Errno) []byte {
	b := make([]byte, 16)
	binary.NativeEndian.PutUint32(b[0:], uint32(16+4+16))
	binary.NativeEndian.PutUint16(b[4:], nlmsgError)
	binary.NativeEndian.PutUint32(b[8:], seq)
	b = binary.NativeEndian.AppendUint32(b, uint32(-int32(errno)))
	return append(b, make([]byte, 16)...)
}

func TestParseFamilyID(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		want    uint16
		wantErr error
	}{
		{"id", familyReply(1, 0x1d), 0x1d, nil},
		{"other seq first", append(familyReply(9, 0x11), familyReply(1, 0x1e)...), 0x1e, nil},
		{"no such family", errorReply(1, syscall.ENOENT), 0, syscall.ENOENT},
		{"no id attribute", genlRequest(genlIDCtrl, 0, 1, 1, 2, nil), 0, nil},
		{"empty", nil, 0, nil},
	}
	for _, tt := range tests {
		got, err := parseFamilyID(tt.b, 1)
		if tt.want != 0 && (err != nil || got != tt.want) {
			t.Errorf("%s: parseFamilyID = %#x, %v; want %#x", tt.name, got, err, tt.want)
		}
		if tt.want == 0 && (err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr))) {
			t.Errorf("%s: parseFamilyID = %#x, %v; want error %v", tt.name, got, err, tt.wantErr)
		}
	}
	if _, _, err := replyOf(errorReply(2, 0), 2); err != nil {
		t.Errorf("ACK: %v", err)
	}
}

func FuzzParseFamilyID(f *testing.F) {
	f.Add(familyReply(1, 0x1d))
	f.Add(errorReply(1, syscall.EPERM))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseFamilyID(b, 1)
	})
}
