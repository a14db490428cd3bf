package tfo

import (
	"fmt"
	"strings"
)

// Mode is the value of net.ipv4.tcp_fastopen, a set of bits
// (Documentation/networking/ip-sysctl.rst; include/net/tcp.h TFO_*).
type Mode uint32

// The bits of net.ipv4.tcp_fastopen. The default is Client; Client|Server
// (3) enables both ends.
const (
	Client               Mode = 0x1   // TFO_CLIENT_ENABLE: send data in the SYN
	Server               Mode = 0x2   // TFO_SERVER_ENABLE: accept data in the SYN
	ClientNoCookie       Mode = 0x4   // TFO_CLIENT_NO_COOKIE: send SYN data without a cookie
	ServerNoCookie       Mode = 0x200 // TFO_SERVER_COOKIE_NOT_REQD: accept SYN data without a cookie
	ServerWithoutSockopt Mode = 0x400 // TFO_SERVER_WO_SOCKOPT1: Fast Open on every listener, no TCP_FASTOPEN needed
)

var modeNames = []struct {
	bit  Mode
	name string
}{
	{Client, "Client"},
	{Server, "Server"},
	{ClientNoCookie, "ClientNoCookie"},
	{ServerNoCookie, "ServerNoCookie"},
	{ServerWithoutSockopt, "ServerWithoutSockopt"},
}

// String returns the value in hex and its bits by name, such as
// "0x3 (Client|Server)" or "0x0 (off)".
func (m Mode) String() string {
	if m == 0 {
		return "0x0 (off)"
	}
	var names []string
	rest := m
	for _, n := range modeNames {
		if m&n.bit != 0 {
			names = append(names, n.name)
			rest &^= n.bit
		}
	}
	if rest != 0 {
		names = append(names, fmt.Sprintf("%#x", uint32(rest)))
	}
	return fmt.Sprintf("%#x (%s)", uint32(m), strings.Join(names, "|"))
}
