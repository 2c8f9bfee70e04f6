#!/usr/bin/env bash
# CPU time per request of origin-policy-server (user + system, every thread, from
# /proc/PID/stat), for BENCHMARKS.md: the cost in time of what /v1/auth does beyond
# /healthz (issue 26 item 6). One server with one worker thread; wrk -t1 on loopback
# drives each kind in turn, in interleaved rounds; the CPU time the server used over the
# requests wrk completed.
#
#   cargo build --release -p origin-policy-server
#   server/bench/cpu.sh [ROUNDS] [SECONDS]          # default 15 rounds of 3 s per kind
#
# Kinds as in instructions.sh: floor (GET /healthz), floor-headers (/healthz with the Origin
# and Authorization of allowed), allowed and denied (GET /v1/auth, a live key). Prints each
# round, then the medians and the medians of the differences to floor and floor-headers
# (each round's difference, so that a slow round counts once), in all and in user space:
# loopback's network work runs in the kernel, often charged to whichever process is on the
# CPU, so system time is the noisy part, while the decision's own work is user time. Needs
# wrk. Env: BIN, CONNECTIONS (16).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-15}
seconds=${2:-3}
connections=${CONNECTIONS:-16}
bin=${BIN:-target/release/origin-policy-server}
command -v wrk >/dev/null || { echo "missing: wrk" >&2; exit 1; }
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/policies"
cp examples/policy.toml "$work/policies/default.toml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --policies "$work/policies" --listen "127.0.0.1:$port" --workers 1 \
  >/dev/null 2>"$work/stderr" &
pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$port/readyz" && break; sleep 0.1; done
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14, $15}' "/proc/$pid/stat"; } # user, system ticks

origin_ok='Origin: https://docs.berbix.com'
origin_bad='Origin: https://evil.example'
key='Authorization: Bearer secret_live_4f9a'
run() { # KIND -> CPU microseconds per request
  local args
  case $1 in
    floor) args=("http://127.0.0.1:$port/healthz") ;;
    floor-headers) args=(-H "$origin_ok" -H "$key" "http://127.0.0.1:$port/healthz") ;;
    allowed) args=(-H "$origin_ok" -H "$key" "http://127.0.0.1:$port/v1/auth") ;;
    denied) args=(-H "$origin_bad" -H "$key" "http://127.0.0.1:$port/v1/auth") ;;
  esac
  local before after requests
  before=$(cpu)
  requests=$(wrk -t1 -c"$connections" -d"${seconds}s" "${args[@]}" | awk '/requests in/ {print $1}')
  after=$(cpu)
  python3 -c "
b, a = [int(x) for x in '$before'.split()], [int(x) for x in '$after'.split()]
per = lambda i: (a[i] - b[i]) / $tick * 1e6 / $requests
print(f'{per(0) + per(1):.2f} {per(0):.2f}')"
}

kinds=(floor floor-headers allowed denied)
for round in $(seq "$rounds"); do
  line="round $round:"
  for kind in "${kinds[@]}"; do
    read -r total user < <(run "$kind")
    echo "$kind $total $user" >>"$work/results"
    line="$line $kind $total ($user)"
  done
  echo "$line µs (user)"
done
python3 - "$work/results" "${kinds[@]}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
kinds = sys.argv[2:]
runs = {kind: [(float(t), float(u)) for k, t, u in rows if k == kind] for kind in kinds}
median = lambda values: statistics.median(values)
for kind in kinds:
    print(f"{kind}: median {median([t for t, _ in runs[kind]]):.2f} µs of CPU per request, "
          f"{median([u for _, u in runs[kind]]):.2f} in user space")
for base in ("floor", "floor-headers"):
    for kind in ("allowed", "denied"):
        pairs = list(zip(runs[kind], runs[base]))
        total = [a[0] - b[0] for a, b in pairs]
        user = [a[1] - b[1] for a, b in pairs]
        print(f"{kind} - {base}: median {median(total):.2f} µs, user space {median(user):.2f} "
              f"(rounds, user: {' '.join(f'{d:.2f}' for d in user)})")
PY
