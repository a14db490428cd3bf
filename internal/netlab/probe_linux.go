package netlab

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RequireRoot returns nil when the process can build labs (effective uid 0
// with CAP_SYS_ADMIN and CAP_NET_ADMIN), and otherwise one sentence saying
// what is missing and how to get it. Root of a user namespace (as after
// ReexecInUserNS) qualifies: capget(2) reports its capabilities in its own
// namespace, which is where its labs' namespaces belong; it cannot open
// /dev/net/tun, so its labs use veth links (see ChooseKind).
func RequireRoot() error {
	if os.Geteuid() != 0 {
		return errors.New("tcplab needs root, or a user namespace of its own, to create network namespaces: run it with sudo, or allow unprivileged user namespaces")
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("tcplab cannot read its capabilities (%v): run it as root with sudo", err)
	}
	has := func(c int) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	switch {
	case !has(unix.CAP_SYS_ADMIN):
		return errors.New("tcplab runs as root but without CAP_SYS_ADMIN, which creating network namespaces needs: run it outside the restricted container, or give the container CAP_SYS_ADMIN")
	case !has(unix.CAP_NET_ADMIN):
		return errors.New("tcplab runs as root but without CAP_NET_ADMIN, which configuring links needs: give the process or container CAP_NET_ADMIN")
	}
	return nil
}

// HaveTUN returns nil when the TUN link emulator can run here, and otherwise
// an error saying what is missing and how to get it. Besides /dev/net/tun it
// needs what each link end uses: a TUN device, an eBPF socket filter on it
// (bpf(2)) and an AF_PACKET receive ring; all three are tried in a throwaway
// namespace.
func HaveTUN() error {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return errors.New("no /dev/net/tun: load the tun module (modprobe tun) or create the node (mknod /dev/net/tun c 10 200)")
	case errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO):
		return errors.New("/dev/net/tun exists but the kernel has no TUN driver: load it with modprobe tun (CONFIG_TUN)")
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
		return errors.New("/dev/net/tun cannot be opened by this user: run as root (sudo)")
	case err != nil:
		return fmt.Errorf("cannot open /dev/net/tun: %w", err)
	}
	unix.Close(fd)
	ns, err := NewNS("probe-tun")
	if err != nil {
		return fmt.Errorf("cannot create a network namespace to try a TUN device in (%v): run as root (sudo)", err)
	}
	defer ns.Close()
	return ns.Do(func() error {
		dev, err := openTUN("probe0")
		if err != nil {
			return fmt.Errorf("cannot create a TUN device (%v): run as root (sudo)", err)
		}
		defer dev.Close()
		if err := dev.discardQueued(); err != nil {
			return fmt.Errorf("cannot attach an eBPF filter to a TUN device (%v): the emulator needs bpf(2) (CONFIG_BPF_SYSCALL) and root", err)
		}
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		defer h.Close()
		link, err := h.LinkByName("probe0")
		if err != nil {
			return fmt.Errorf("netlink: find the probe TUN device: %w", err)
		}
		tap, err := openTapRing(link.Attrs().Index, DefaultMTU)
		if err != nil {
			return fmt.Errorf("cannot open an AF_PACKET receive ring (%v): the emulator needs CONFIG_PACKET and root", err)
		}
		return tap.Close()
	})
}

// HaveNetem returns nil when the kernel has the netem qdisc, and otherwise
// an error saying so and how to get it. It tries a netem qdisc on lo in a
// throwaway namespace.
func HaveNetem() error {
	ns, err := NewNS("probe-netem")
	if err != nil {
		return fmt.Errorf("cannot create a network namespace to try netem in (%v): run as root (sudo)", err)
	}
	defer ns.Close()
	return ns.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		defer h.Close()
		lo, err := h.LinkByName("lo")
		if err != nil {
			return fmt.Errorf("netlink: find lo: %w", err)
		}
		q := netlink.NewNetem(netlink.QdiscAttrs{
			LinkIndex: lo.Attrs().Index,
			Handle:    netlink.MakeHandle(1, 0),
			Parent:    netlink.HANDLE_ROOT,
		}, netlink.NetemQdiscAttrs{Latency: 1000})
		err = h.QdiscAdd(q)
		switch {
		case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP):
			return errors.New("this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): load it with modprobe sch_netem where it is a module, or use the TUN link emulator (the default)")
		case err != nil:
			return fmt.Errorf("cannot add a netem qdisc: %w", err)
		}
		return nil
	})
}

// IdleHalts describes how an idle CPU of this machine waits for work, from
// the cpuidle driver in sysfs (/sys/devices/system/cpu/cpuidle, see the
// kernel's admin-guide/pm/cpuidle) and the CPU's "hypervisor" flag in
// /proc/cpuinfo, and reports whether a wake-up from idle is likely to be
// late (see idleVerdict).
func IdleHalts() (desc string, late bool) {
	driver := "none"
	if b, err := os.ReadFile("/sys/devices/system/cpu/cpuidle/current_driver"); err == nil {
		driver = strings.TrimSpace(string(b))
	}
	cpuinfo, _ := os.ReadFile("/proc/cpuinfo")
	return idleVerdict(driver, cpuFlag(string(cpuinfo), "hypervisor"))
}
