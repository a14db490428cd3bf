#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time each (default 5s):
# `go test -fuzz` takes one target per run, so list them first.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-5s}"
status=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+).*/\1/'); do
    echo "fuzz ./$dir $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./$dir" >/tmp/fuzz-$target.log 2>&1; then
      cat /tmp/fuzz-$target.log
      status=1
    fi
  done
done < <(git ls-files --cached --others --exclude-standard '*_test.go' | grep -v '^bench/' | xargs grep -l '^func Fuzz' || true)
exit $status
