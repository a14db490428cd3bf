#!/usr/bin/env bash
# lab-down.sh — remove a lab made by scripts/lab-up.sh.
#
#   sudo scripts/lab-down.sh [NAME]
#
# Deleting a namespace deletes the veth end inside it, and with it the other
# end and the qdiscs: nothing else is left. A lab made by `tcplab lab up` is
# removed with `tcplab lab down NAME` instead, which also stops its relay.
set -euo pipefail

name=${1:-demo}
if [ "$(id -u)" -ne 0 ]; then
  echo "lab-down: needs root to delete network namespaces: run it with sudo" >&2
  exit 2
fi
if [ -e "/run/tcplab/$name.json" ]; then
  echo "lab-down: lab $name was made by tcplab; use: tcplab lab down $name" >&2
  exit 1
fi
status=0
for role in client server; do
  ns="tcplab-$name-$role"
  if ip netns list | grep -qw "$ns"; then
    echo "+ ip netns del $ns"
    ip netns del "$ns" || status=1
  else
    echo "lab-down: no namespace $ns" >&2
  fi
done
exit $status
