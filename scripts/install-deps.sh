#!/usr/bin/env bash
# Installs the programs tcplab's tests drive as real peers, where they are
# missing: tshark (reads the lab's pcapng files back), curl and nginx (HTTP
# interoperability of internal/peer), iproute2 (scripts/lab-*.sh).
# Debian/Ubuntu only; run as root. Idempotent.
set -euo pipefail
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v curl   >/dev/null 2>&1 || need+=(curl)
command -v nginx  >/dev/null 2>&1 || need+=(nginx-light)
command -v ip     >/dev/null 2>&1 || need+=(iproute2)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${need[*]}; install them with your package manager" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${need[*]}"
apt-get update -qq
# tshark asks whether non-root users may capture; answer no, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
