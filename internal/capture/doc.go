// Package capture records the packets of a lab link and writes them as pcapng.
//
// Open takes an AF_PACKET socket (packet(7)) through gopacket's pure-Go
// pcapgo.EthernetHandle: full snap length (262144 bytes, so GSO super-frames
// are kept whole), a non-blocking descriptor behind Go's poller, so closing it
// wakes the reader at once. The socket is created in the network namespace of
// the calling thread and stays there, so a caller inside a lab namespace calls
// Open on its setns-ed thread and may read the result from anywhere.
//
// WritePcapng writes pcapng (draft-ietf-opsawg-pcapng) with nanosecond
// timestamps and one opt_comment per packet, so Wireshark shows the reading
// an experiment attached to each frame; ReadFile reads pcap or pcapng back.
package capture
