package timewait

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Census returns the TIME_WAIT sockets of the calling thread's netns, IPv4
// and IPv6, from inet_diag (idiag_states = TCPF_TIME_WAIT), or from
// /proc/thread-self/net/tcp and tcp6 where inet_diag is unavailable.
// Orphans that wait for the peer's FIN inside a TIME_WAIT mini-socket are
// reported in StateFinWait2 by the kernel and are not included.
func Census() ([]Socket, error) { return Sockets(StateTimeWait) }

// Sockets returns the TCP sockets of the calling thread's netns that are in
// one of states (all states if none are given), like Census.
func Sockets(states ...State) ([]Socket, error) {
	mask := stateMask(states)
	var all []Socket
	for _, fam := range []uint8{afInet, afInet6} {
		socks, err := diagDump(fam, mask)
		if err != nil {
			var perr error
			if socks, perr = procSockets(fam, mask); perr != nil {
				return nil, errors.Join(err, perr)
			}
		}
		all = append(all, socks...)
	}
	return all, nil
}

// CensusProc is Census read only from /proc/thread-self/net/tcp and tcp6,
// a second witness with 10 ms resolution for Remaining.
func CensusProc() ([]Socket, error) {
	mask := stateMask([]State{StateTimeWait})
	v4, err := procSockets(afInet, mask)
	if err != nil {
		return nil, err
	}
	v6, err := procSockets(afInet6, mask)
	if err != nil {
		return nil, err
	}
	return append(v4, v6...), nil
}

// procSockets reads /proc/thread-self/net/tcp (AF_INET) or tcp6 (AF_INET6)
// and keeps the sockets whose state is in mask. A missing tcp6 (IPv6
// disabled) yields no sockets.
func procSockets(family uint8, mask uint32) ([]Socket, error) {
	name := "/proc/thread-self/net/tcp"
	if family == afInet6 {
		name += "6"
	}
	f, err := os.Open(name)
	if family == afInet6 && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("timewait: census: %w", err)
	}
	defer f.Close()
	socks, err := parseProcNet(f, binary.NativeEndian)
	if err != nil {
		return nil, err
	}
	kept := socks[:0]
	for _, s := range socks {
		if s.State < 32 && mask&(1<<s.State) != 0 {
			kept = append(kept, s)
		}
	}
	return kept, nil
}
