#!/usr/bin/env bash
# Instructions per `Policy::check` on the issue-17 workload (examples/check_instructions.rs
# `sized`): 60% exact hosts, 30% `*.` wildcards, 10% port variants, hosts of 2–4 labels and
# 30 bytes on average; 1,024 hits and 1,024 misses per N. Counted by callgrind over the
# example's `run_checks` only (`--toggle-collect`), which does nothing but the checks, a
# round-robin index and the `is_allowed` wrapper; divided by the number of checks. Two
# columns: the inclusive cost of `Policy::check` (the checks alone), and all of
# `run_checks` (the checks with the loop around them). Instruction counts do not move with
# the machine's load, so one run is the number.
#
#   bash benches/instructions.sh            # N = 10, 1000, 100000
#   bash benches/instructions.sh 10 1000    # some N
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-8192}
sizes=("$@")
[ "${#sizes[@]}" -gt 0 ] || sizes=(10 1000 100000)
cargo build -q --release --example check_instructions
bin=target/release/examples/check_instructions
printf '| N | kind | instructions per check | with the loop |\n|---|---|---|---|\n'
profile=$(mktemp)
trap 'rm -f "$profile"' EXIT
for n in "${sizes[@]}"; do
  for kind in hit miss; do
    out=$(valgrind --tool=callgrind --callgrind-out-file="$profile" \
      --toggle-collect='*run_checks*' "$bin" sized "$n" "$kind" "$reps" 2>&1)
    collected=$(printf '%s\n' "$out" | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
    checks=$(callgrind_annotate --inclusive=yes "$profile" 2>/dev/null |
      awk '/origin_policy::policy::Policy::check[ ]/ { gsub(",", "", $1); print $1; exit }')
    if [ -z "$collected" ] || [ -z "$checks" ]; then
      printf '%s\n' "$out" >&2
      exit 1
    fi
    awk -v n="$n" -v kind="$kind" -v c="$collected" -v k="$checks" -v r="$reps" \
      'BEGIN { printf "| %s | %s | %.0f | %.0f |\n", n, kind, k / r, c / r }'
  done
done
