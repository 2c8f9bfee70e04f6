#!/usr/bin/env bash
# Instructions per `Policy::check` on the issue-17 workload (examples/check_instructions.rs
# `sized`): 60% exact hosts, 30% `*.` wildcards, 10% port variants, hosts of 2–4 labels and
# 30 bytes on average; 1,024 hits and 1,024 misses per N. Counted by callgrind over the
# checks only (`--toggle-collect` on the example's `run_checks`, which does nothing but the
# checks and a round-robin index), divided by the number of checks. Instruction counts do
# not move with the machine's load, so one run is the number.
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
printf '| N | kind | instructions per check |\n|---|---|---|\n'
for n in "${sizes[@]}"; do
  for kind in hit miss; do
    out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      --toggle-collect='*run_checks*' "$bin" sized "$n" "$kind" "$reps" 2>&1)
    collected=$(printf '%s\n' "$out" | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
    if [ -z "$collected" ]; then
      printf '%s\n' "$out" >&2
      exit 1
    fi
    awk -v n="$n" -v kind="$kind" -v c="$collected" -v r="$reps" \
      'BEGIN { printf "| %s | %s | %.0f |\n", n, kind, c / r }'
  done
done
