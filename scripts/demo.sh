#!/usr/bin/env bash
# A classroom walkthrough of chapter 4: a few experiments in the book's order,
# each followed by what its annotated capture shows (with tshark, if
# installed). Run from the repository root after `make build`; needs root
# (or a kernel that allows unprivileged user namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/tcplab
out=${OUT:-out/demo}
rtt=${RTT:-40ms}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
mkdir -p "$out"

step() {
  local name=$1; shift
  printf '\n\033[1m### %s\033[0m\n%s\n\n' "$name" "$*"
  $sudo "$bin" "$name" --rtt "$rtt" --out "$out" || true
  if command -v tshark >/dev/null 2>&1 && [ -f "$out/$name.pcapng" ]; then
    echo "--- what the capture says (packet comments, tshark -r $out/$name.pcapng):"
    tshark -r "$out/$name.pcapng" -Y frame.comment -T fields -e frame.number -e frame.comment 2>/dev/null | head -12
  fi
  read -r -p "Enter for the next experiment… " _ </dev/tty || true
}

$sudo "$bin" probe
step handshake "§4.2 — a new connection pays the 3-way handshake: a small transaction costs two round trips."
step tfo       "§4.2 — TCP Fast Open: after a cookie, the request rides in the SYN and saves a round trip."
step slowstart "§4.2 — slow start: 10 segments, then doubling per RTT; a warm connection is faster."
step nagle     "§4.2 — Nagle and delayed ACKs stall write-write-read; TCP_NODELAY, CORK and QUICKACK."
step timewait  "§4.2 — TIME_WAIT lasts 60 s on the active closer, exhausts ports; the remedies."
step pageload  "§4.3–4.6 — serial, parallel, persistent and pipelined page loads against the model."
step proxy     "§4.5 — the dumb proxy hangs a keep-alive client; the smart one does not."
step close     "§4.7 — half-close, reset on unread data, graceful close."
echo "Artifacts (pcapng for Wireshark, SVG pictures) are in $out."
