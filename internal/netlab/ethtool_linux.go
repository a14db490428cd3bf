package netlab

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethtoolValue is struct ethtool_value of linux/ethtool.h: the argument of
// the one-flag ETHTOOL_G* and ETHTOOL_S* commands.
type ethtoolValue struct {
	cmd  uint32
	data uint32
}

// ifreqData is struct ifreq with its union used as ifr_data, a pointer to
// the ethtool command (netdevice(7)).
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// ethtool runs one legacy ethtool command (ioctl SIOCETHTOOL) on interface
// name of the calling thread's namespace and returns the value it reports.
// The kernel still serves the legacy commands, and they need nothing but
// CAP_NET_ADMIN in the namespace's own user namespace.
func ethtool(name string, cmd, value uint32) (uint32, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	ev := ethtoolValue{cmd: cmd, data: value}
	var ifr ifreqData
	copy(ifr.name[:unix.IFNAMSIZ-1], name)
	ifr.data = unsafe.Pointer(&ev)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(&ev)
	if errno != 0 {
		return 0, os.NewSyscallError(fmt.Sprintf("ioctl SIOCETHTOOL %#x", cmd), errno)
	}
	return ev.data, nil
}

// offloadsOff turns off receive offload aggregation (GRO) and transmit
// checksum offload on interface name and reads both back. Without GRO the
// device hands the stack, and a packet socket, every frame as it came;
// without checksum offload the sender's stack fills in every checksum, so a
// frame copied by a packet socket to another device is still valid there (a
// frame re-sent through AF_PACKET arrives with CHECKSUM_NONE and is verified
// in software). Segmentation offload goes with checksum offload (TSO needs
// it); gso_max_segs 1 is set separately.
func offloadsOff(name string) error {
	for _, f := range []struct {
		set, get uint32
		what     string
	}{
		{unix.ETHTOOL_SGRO, unix.ETHTOOL_GGRO, "generic-receive-offload"},
		{unix.ETHTOOL_STXCSUM, unix.ETHTOOL_GTXCSUM, "tx-checksumming"},
	} {
		if _, err := ethtool(name, f.set, 0); err != nil {
			return fmt.Errorf("netlab: turn %s off on %s: %w", f.what, name, err)
		}
		on, err := ethtool(name, f.get, 0)
		if err != nil {
			return fmt.Errorf("netlab: read %s of %s: %w", f.what, name, err)
		}
		if on != 0 {
			return fmt.Errorf("netlab: %s of %s is still on", f.what, name)
		}
	}
	return nil
}
