// Package netlab builds the networks tcplab's experiments run in: network
// namespaces held by file descriptor, the client⇄server and
// client⇄proxy⇄server topologies, per-namespace sysctls, and the links
// between them.
//
// A link is a userspace emulator, because the kernels tcplab targets often
// have no netem qdisc. Each end is a point-to-point TUN device (IFF_TUN,
// IFF_NO_PI, no virtio-net header, so every packet is a real IP packet of at
// most the MTU, never a GSO super-frame). What a namespace sends into its
// device is read from an AF_PACKET receive ring bound to the device, which
// stamps each packet with the time it entered the link, and a relay in this
// process writes it into the other end's device when it is due. Per
// direction the relay is a FIFO that serialises each packet at the
// configured rate, holds it for the one-way delay, and drops it by a seeded
// Bernoulli loss process or when too many packets wait for the serialiser
// (tail drop). The scheduling core (Pipe, LossDrop) is pure and separate
// from the packet I/O (PacketIO), so other transports can be plugged in.
// Where TUN devices cannot be made (root of a user namespace, which is what
// tcplab runs as without root, may not open /dev/net/tun), each end is a
// veth whose peer lives in a wire namespace, and the same relay moves the
// frames between the two wire ends through AF_PACKET sockets (KindVeth).
// Where the kernel has netem and the caller asks for it, a link is a veth
// pair with a netem qdisc on each end instead.
//
// A Lab made by New lives as long as its file descriptors: nothing is named
// in /run/netns, so a process that dies takes its namespaces with it. A
// Registry names labs that outlive the process, for ip netns exec, and
// reclaims those whose process died.
//
// Addresses come from 198.18.0.0/15, the benchmarking range of RFC 2544
// (section C.2.2), so lab traffic can never leak to a real network.
package netlab
