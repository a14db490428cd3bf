package experiment

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// tfoCounterNames are the TcpExt counters of net/ipv4/tcp_fastopen.c and
// tcp_input.c that count Fast Open outcomes (include/uapi/linux/snmp.h
// LINUX_MIB_TCPFASTOPEN*).
var tfoCounterNames = []string{
	"TCPFastOpenActive",      // client: SYN data acknowledged by the SYN/ACK
	"TCPFastOpenActiveFail",  // client: SYN data not acknowledged (sent again after the handshake)
	"TCPFastOpenPassive",     // server: SYN data accepted with a valid cookie
	"TCPFastOpenPassiveFail", // server: cookie invalid, or the child socket could not be made
	"TCPFastOpenCookieReqd",  // server: a SYN asked for a cookie
	"TCPFastOpenListenOverflow",
}

// tfoCounters holds the Fast Open TcpExt counters of the client's and the
// server's namespaces.
type tfoCounters struct{ client, server map[string]int64 }

// delta is after − before for one counter on one side.
func (after tfoCounters) delta(before tfoCounters, server bool, name string) int64 {
	if server {
		return after.server[name] - before.server[name]
	}
	return after.client[name] - before.client[name]
}

// readTFOCounters reads /proc/thread-self/net/netstat inside the client's
// and the server's namespaces (/proc/net/netstat would be the namespace of
// the thread-group leader).
func readTFOCounters(b *Bench) (tfoCounters, error) {
	var c tfoCounters
	read := func() (map[string]int64, error) {
		text, err := os.ReadFile("/proc/thread-self/net/netstat")
		if err != nil {
			return nil, err
		}
		return tfoParseTcpExt(string(text), tfoCounterNames)
	}
	err := b.Client.Do(func() error {
		var err error
		c.client, err = read()
		return err
	})
	if err != nil {
		return c, fmt.Errorf("tfo: client TcpExt counters: %w", err)
	}
	err = b.Server.Do(func() error {
		var err error
		c.server, err = read()
		return err
	})
	if err != nil {
		return c, fmt.Errorf("tfo: server TcpExt counters: %w", err)
	}
	return c, nil
}

// tfoParseTcpExt picks the named TcpExt counters out of the text of
// /proc/net/netstat: a line "TcpExt: Name1 Name2 …" followed by a line
// "TcpExt: v1 v2 …". A wanted name that is missing is an error.
func tfoParseTcpExt(text string, want []string) (map[string]int64, error) {
	lines := strings.Split(text, "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, ok1 := strings.CutPrefix(lines[i], "TcpExt:")
		vals, ok2 := strings.CutPrefix(lines[i+1], "TcpExt:")
		if !ok1 || !ok2 {
			continue
		}
		nf, vf := strings.Fields(names), strings.Fields(vals)
		if len(nf) != len(vf) {
			return nil, fmt.Errorf("netstat: TcpExt has %d names but %d values", len(nf), len(vf))
		}
		all := make(map[string]string, len(nf))
		for j, n := range nf {
			all[n] = vf[j]
		}
		out := make(map[string]int64, len(want))
		for _, n := range want {
			s, ok := all[n]
			if !ok {
				return nil, fmt.Errorf("netstat: no TcpExt counter %s", n)
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("netstat: TcpExt %s: %w", n, err)
			}
			out[n] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("netstat: no TcpExt header and value lines")
}
