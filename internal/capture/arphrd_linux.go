package capture

import (
	"fmt"
	"os"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"
)

// arphrd returns the ARPHRD hardware type of ifname in the calling thread's
// network namespace (ioctl SIOCGIFHWADDR, netdevice(7)).
func arphrd(ifname string) (uint16, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, os.NewSyscallError("ioctl SIOCGIFHWADDR", err)
	}
	// ifr_hwaddr is a struct sockaddr whose sa_family is the ARPHRD type.
	return ifr.Uint16(), nil
}

// linkTypeOf maps an ARPHRD type to the link type of the frames a packet
// socket returns for it.
func linkTypeOf(hatype uint16) (layers.LinkType, error) {
	switch hatype {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		// Loopback frames carry a zeroed Ethernet header.
		return layers.LinkTypeEthernet, nil
	case unix.ARPHRD_NONE, unix.ARPHRD_RAWIP:
		// TUN (IFF_TUN) and raw-IP devices: frames start with the IP header.
		return layers.LinkTypeRaw, nil
	}
	return 0, fmt.Errorf("ARPHRD type %d has no known link type; set Options.LinkType", hatype)
}
