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
    for try in 1 2; do
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./$dir" >/tmp/fuzz-$target.log 2>&1; then
        break
      fi
      # The go command sometimes ends a fuzz run that reached -fuzztime with
      # "context deadline exceeded" and no failing input; that is not a
      # finding, so it is run once more. A real finding names its input.
      if [ "$try" -eq 1 ] && grep -q "context deadline exceeded" /tmp/fuzz-$target.log && ! grep -q "Failing input" /tmp/fuzz-$target.log; then
        echo "  (the run ended with the go command's deadline, not a finding: once more)"
        continue
      fi
      cat /tmp/fuzz-$target.log
      status=1
      break
    done
  done
done < <(git ls-files --cached --others --exclude-standard '*_test.go' | grep -v '^bench/' | xargs grep -l '^func Fuzz' || true)
exit $status
