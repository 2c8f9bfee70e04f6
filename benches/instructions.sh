#!/usr/bin/env bash
# Instructions per `Policy::check`, counted by callgrind over the example's `run_checks`
# only (`--toggle-collect`), which does nothing but the checks, a round-robin index and the
# `is_allowed` wrapper; divided by the number of checks. Two workloads of
# examples/check_instructions.rs, 1,024 hits and 1,024 misses per N:
#
# - `realistic` (issue 26, printed first): 60% exact hosts, 30% `*.` wildcards, 10% port
#   variants, hosts of 2–4 labels with digits and hyphens (94% of the hit origins hold a
#   digit, 32 bytes on average), live mode;
# - `sized` (issue 17): the same mix with letters-only labels, hosts of 30 bytes on
#   average, both modes.
#
# Two columns: the inclusive cost of `Policy::check` (the checks alone), and all of
# `run_checks` (the checks with the loop around them). Instruction counts do not move with
# the machine's load, so one run is the number.
#
#   bash benches/instructions.sh            # N = 10, 1000, 100000
#   bash benches/instructions.sh 10 1000    # some N
#   WORKLOADS=realistic bash benches/instructions.sh
#   TENANTS=0 bash benches/instructions.sh  # without the multi-tenant table
#
# Last, the multi-tenant check (issue 26): a `PolicyStore` of 100,000 tenants of 4
# realistic rules, each check for a random tenant (the lookup, then the check; `tenants`
# mode, `run_tenant_checks` counted), against a single 4-rule policy's check (`realistic 4
# hit`), each with its loop.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-8192}
sizes=("$@")
[ "${#sizes[@]}" -gt 0 ] || sizes=(10 1000 100000)
read -r -a workloads <<<"${WORKLOADS:-realistic sized}"
cargo build -q --release --features store --example check_instructions
bin=target/release/examples/check_instructions
profile=$(mktemp)
trap 'rm -f "$profile"' EXIT
# Prints the instructions of the toggled function and of `Policy::check` in it, per check.
count() {
  local toggle=$1
  shift
  local out collected checks
  out=$(valgrind --tool=callgrind --callgrind-out-file="$profile" \
    --toggle-collect="*$toggle*" "$bin" "$@" 2>&1)
  collected=$(printf '%s\n' "$out" | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
  checks=$(callgrind_annotate --inclusive=yes "$profile" 2>/dev/null |
    awk '/origin_policy::policy::Policy::check[ ]/ { gsub(",", "", $1); print $1; exit }')
  if [ -z "$collected" ] || [ -z "$checks" ]; then
    printf '%s\n' "$out" >&2
    exit 1
  fi
  echo "$collected $checks"
}
for workload in "${workloads[@]}"; do
  printf '\n%s workload\n\n' "$workload"
  printf '| N | kind | instructions per check | with the loop |\n|---|---|---|---|\n'
  for n in "${sizes[@]}"; do
    for kind in hit miss; do
      res=$(count run_checks "$workload" "$n" "$kind" "$reps")
      read -r collected checks <<<"$res"
      awk -v n="$n" -v kind="$kind" -v c="$collected" -v k="$checks" -v r="$reps" \
        'BEGIN { printf "| %s | %s | %.0f | %.0f |\n", n, kind, k / r, c / r }'
    done
  done
done
if [ "${TENANTS:-1}" != 0 ]; then
  printf '\nmulti-tenant check (100,000 tenants of 4 rules, random tenant, hits)\n\n'
  printf '| check | instructions per check, with the loop | of which Policy::check |\n|---|---|---|\n'
  res=$(count run_tenant_checks tenants 100000 "$reps")
  read -r collected checks <<<"$res"
  awk -v c="$collected" -v k="$checks" -v r="$reps" \
    'BEGIN { printf "| lookup of a random tenant, then check | %.0f | %.0f |\n", c / r, k / r }'
  res=$(count run_checks realistic 4 hit "$reps")
  read -r collected checks <<<"$res"
  awk -v c="$collected" -v k="$checks" -v r="$reps" \
    'BEGIN { printf "| one 4-rule policy (warm) | %.0f | %.0f |\n", c / r, k / r }'
fi
