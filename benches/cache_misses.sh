#!/usr/bin/env bash
# L1 and last-level data read misses per `Policy::check` on the realistic workload (issue
# 26: examples/check_instructions.rs `realistic`), by callgrind's cache simulation with the
# cache sizes stated below (fixed, not the host's, so that the numbers repeat):
#
#   I1 = D1 = 32 KiB, 8-way, 64-byte lines; LL = 8 MiB, 16-way, 64-byte lines.
#
# Counted: the misses inside `Policy::check` (inclusive), in steady state: the difference
# between a run of WARM + REPS checks and one of WARM checks, divided by REPS, so that the
# first (compulsory) touch of each line is not counted. Two loops:
#
# - `realistic-hot` (the number held against the target): each origin is first copied into
#   one stack buffer, as a server checks the request it has just read; the copy reads the
#   benchmark's query array outside the check, and the check reads a hot origin;
# - `realistic`: the check reads the origin straight from the query array (1,024 origins
#   of about 32 bytes, their `String`s spread over the heap), so its misses include the
#   benchmark's own input, as the issue's run counted them.
#
#   bash benches/cache_misses.sh            # N = 100000, hits and misses
#   bash benches/cache_misses.sh 10 100000  # some N
set -euo pipefail
cd "$(dirname "$0")/.."
warm=${WARM:-4096}
reps=${REPS:-16384}
sizes=("$@")
[ "${#sizes[@]}" -gt 0 ] || sizes=(100000)
cargo build -q --release --features store --example check_instructions
bin=target/release/examples/check_instructions
profile=$(mktemp)
trap 'rm -f "$profile"' EXIT
caches=(--I1=32768,8,64 --D1=32768,8,64 --LL=8388608,16,64)
# Prints the inclusive Ir, D1mr and DLmr of `Policy::check` for one run.
misses() {
  valgrind --tool=callgrind --cache-sim=yes "${caches[@]}" --callgrind-out-file="$profile" \
    --toggle-collect='*run_*checks*' "$bin" "$@" >/dev/null 2>&1
  callgrind_annotate --inclusive=yes --show=Ir,D1mr,DLmr "$profile" 2>/dev/null |
    awk '/origin_policy::policy::Policy::check[ ]/ {
      gsub(/\([^)]*\)/, ""); gsub(",", "")
      for (i = 1; i <= 3; i++) if ($i == ".") $i = 0
      print $1, $2, $3; exit }'
}
printf '| N | kind | loop | instructions | D1 read misses | LL read misses |\n'
printf '|---|---|---|---|---|---|\n'
for n in "${sizes[@]}"; do
  for kind in hit miss; do
    for loop in realistic-hot realistic; do
      read -r i0 d0 l0 <<<"$(misses "$loop" "$n" "$kind" "$warm")"
      read -r i1 d1 l1 <<<"$(misses "$loop" "$n" "$kind" "$((warm + reps))")"
      if [ -z "$i0" ] || [ -z "$i1" ]; then
        echo "no Policy::check in the profile ($loop $n $kind)" >&2
        exit 1
      fi
      awk -v n="$n" -v kind="$kind" -v loop="$loop" -v r="$reps" \
        -v i="$((i1 - i0))" -v d="$((d1 - d0))" -v l="$((l1 - l0))" \
        'BEGIN { d /= r; l /= r; if (d < 0.005) d = 0; if (l < 0.005) l = 0
          printf "| %s | %s | %s | %.0f | %.2f | %.2f |\n", n, kind, loop, i / r, d, l }'
    done
  done
done
