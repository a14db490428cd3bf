#!/usr/bin/env bash
# lab-up.sh — build tcplab's client ⇄ server lab by hand, with iproute2 only,
# so every step can be read and repeated.
#
#   sudo scripts/lab-up.sh [NAME] [ONE_WAY_DELAY] [RATE]
#   sudo scripts/lab-up.sh demo 20ms 10mbit
#   sudo ip netns exec tcplab-demo-server python3 -m http.server --bind 198.18.0.2 8080 &
#   sudo ip netns exec tcplab-demo-client curl -s http://198.18.0.2:8080/ >/dev/null
#   sudo scripts/lab-down.sh demo
#
# This is the veth version of what `tcplab lab up` builds. The binary joins the
# namespaces with two TUN devices and a relay inside the tcplab process (that
# relay is what delays, rate-limits and drops packets, because many kernels,
# this project's CI included, have no netem qdisc), so a shell script cannot
# build that link: here the namespaces are joined by a veth pair, delay comes
# from netem where the kernel has it, and rate from tbf, which every kernel
# has. Without netem the link has no delay; use `tcplab lab up` for one.
#
# Addresses are from 198.18.0.0/15, the benchmarking range (RFC 2544), so lab
# traffic cannot reach a real network. Nothing outside the two namespaces is
# changed.
set -euo pipefail

name=${1:-demo}
delay=${2:-}
rate=${3:-}
c="tcplab-$name-client"
s="tcplab-$name-server"

if [ "$(id -u)" -ne 0 ]; then
  echo "lab-up: needs root to create network namespaces: run it with sudo" >&2
  exit 2
fi
if ip netns list | grep -qw -e "$c" -e "$s"; then
  echo "lab-up: lab $name exists; remove it with scripts/lab-down.sh $name" >&2
  exit 1
fi

run() { echo "+ $*"; "$@"; }

# Two namespaces; ip netns add bind-mounts each at /run/netns/NAME.
run ip netns add "$c"
run ip netns add "$s"
trap 'echo "lab-up: failed; cleaning up" >&2; ip netns del "$c" 2>/dev/null; ip netns del "$s" 2>/dev/null' ERR

# A new namespace has lo down.
run ip -n "$c" link set lo up
run ip -n "$s" link set lo up

# No IPv6 on the link: only the experiment's IPv4 traffic crosses it.
run ip netns exec "$c" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1
run ip netns exec "$s" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1

# The veth pair, one end in each namespace, named after the peer it leads to.
run ip link add to-server netns "$c" type veth peer name to-client netns "$s"

# Real segments: without this, GSO hands the veth 64 KB super-frames and a
# capture shows one "segment" where the wire would carry 45.
run ip -n "$c" link set to-server mtu 1500 gso_max_segs 1 gso_max_size 1500 up
run ip -n "$s" link set to-client mtu 1500 gso_max_segs 1 gso_max_size 1500 up

# Point-to-point: a /32 on each end and a scope-link route to the peer.
run ip -n "$c" addr add 198.18.0.1/32 dev to-server
run ip -n "$s" addr add 198.18.0.2/32 dev to-client
run ip -n "$c" route add 198.18.0.2/32 dev to-server scope link src 198.18.0.1
run ip -n "$s" route add 198.18.0.1/32 dev to-client scope link src 198.18.0.2

# Delay and rate, on the egress of each end (each direction gets one).
if [ -n "$delay" ]; then
  # Probe for netem on the client's lo, which nothing uses yet.
  if ip netns exec "$c" tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
    ip netns exec "$c" tc qdisc del dev lo root
    for pair in "$c to-server" "$s to-client"; do
      set -- $pair
      run ip netns exec "$1" tc qdisc add dev "$2" root netem delay "$delay" ${rate:+rate "$rate"} limit 1000
    done
    rate=""
  else
    echo "lab-up: this kernel has no netem qdisc, so the link has no delay; 'tcplab lab up $name --rtt ...' emulates it in userspace" >&2
  fi
fi
if [ -n "$rate" ]; then
  for pair in "$c to-server" "$s to-client"; do
    set -- $pair
    # tbf: a bucket of one packet, so the rate holds packet by packet, and a
    # queue of about 1000 full-size packets before tail drop.
    run ip netns exec "$1" tc qdisc add dev "$2" root tbf rate "$rate" burst 1514 limit 1514000
  done
fi

trap - ERR
echo "lab $name is up: client 198.18.0.1 in $c, server 198.18.0.2 in $s"
echo "  ip netns exec $c ping -c 3 198.18.0.2"
echo "  ip netns exec $s tcpdump -ni to-client"
