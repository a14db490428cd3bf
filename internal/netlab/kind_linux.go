package netlab

import (
	"errors"
	"fmt"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// defaultKind is the kind of a link whose LinkConfig.Kind is empty: KindTUN
// where /dev/net/tun opens, KindVeth otherwise.
func defaultKind() string {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return KindVeth
	}
	unix.Close(fd)
	return KindTUN
}

// ChooseKind returns the link kind a lab should use when the user asked for
// want ("tun", "veth", "netem", or "" for the default), and nil, or an error
// saying why no link can run here. KindTUN (and "") falls back to KindVeth
// where TUN devices cannot be made but veth links can, as for root of a user
// namespace; the other kinds are taken as asked.
func ChooseKind(want string) (string, error) {
	switch want {
	case KindNetem:
		return KindNetem, HaveNetem()
	case KindVeth:
		return KindVeth, HaveVeth()
	case KindTUN, "":
		tunErr := HaveTUN()
		if tunErr == nil {
			return KindTUN, nil
		}
		if HaveVeth() == nil {
			return KindVeth, nil
		}
		return KindTUN, tunErr
	}
	return "", fmt.Errorf("netlab: link kind %q: want %q, %q or %q", want, KindTUN, KindVeth, KindNetem)
}

// HaveVeth returns nil when the veth link emulator can run here, and
// otherwise one sentence saying what is missing and how to get it. It tries
// what each link needs in a throwaway namespace: a veth pair, gso_max_segs
// and ethtool offload settings on it, and an AF_PACKET socket with a receive
// ring. None of it needs more than CAP_SYS_ADMIN and CAP_NET_ADMIN in the
// process's own user namespace.
func HaveVeth() error {
	ns, err := NewNS("probe-veth")
	if err != nil {
		return fmt.Errorf("cannot create a network namespace (%v): %s", err, privilegeHint())
	}
	defer ns.Close()
	return ns.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		defer h.Close()
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "probe0"}, PeerName: "probe1"}
		if err := h.LinkAdd(veth); err != nil {
			if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("this kernel has no veth driver (%v): load it with modprobe veth (CONFIG_VETH)", err)
			}
			return fmt.Errorf("cannot create a veth pair (%v): %s", err, privilegeHint())
		}
		if err := segmentsOnly(h, "probe0"); err != nil {
			return fmt.Errorf("cannot turn segmentation and receive offloads off on a veth (%v): %s", err, privilegeHint())
		}
		link, err := h.LinkByName("probe1")
		if err == nil {
			err = h.LinkSetUp(link)
		}
		if err != nil {
			return fmt.Errorf("cannot bring a veth up (%v): %s", err, privilegeHint())
		}
		p, err := openVethPort(link.Attrs().Index, "probe1", DefaultMTU)
		if err != nil {
			return fmt.Errorf("cannot open an AF_PACKET receive ring (%v): the emulator needs CONFIG_PACKET and %s", err, privilegeHint())
		}
		return p.Close()
	})
}

// privilegeHint says how to get the privilege a refused operation lacked.
// Inside a user namespace the kernel or a security policy refused what the
// namespace's root should have been allowed; root of the initial namespace
// was refused by a container or policy that withholds capabilities; anyone
// else is simply not root.
func privilegeHint() string {
	switch {
	case InUserNS():
		return "the user namespace tcplab runs in is restricted (an AppArmor, SELinux or seccomp policy, or a container runtime, denies what its root may do): run tcplab with sudo, or lift the restriction (on Ubuntu: sysctl kernel.apparmor_restrict_unprivileged_userns=0)"
	case os.Geteuid() == 0:
		return "root was refused it, so a container or security policy withholds CAP_SYS_ADMIN or CAP_NET_ADMIN: run tcplab outside it, or grant those capabilities"
	}
	return "run tcplab as root (sudo), or without sudo where unprivileged user namespaces are allowed"
}
