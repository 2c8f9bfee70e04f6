#!/usr/bin/env bash
# Instructions per request of origin-policy-server (valgrind's callgrind, user space, all
# threads), for BENCHMARKS.md: the server runs under valgrind with one worker thread and
# answers N and 3N requests of one kind over one keep-alive curl connection; the difference
# of the two totals over 2N is the cost of one request, start-up and shutdown cancelled out.
#
#   cargo build --release -p origin-policy-server
#   server/bench/instructions.sh [N] [EXTRA SERVER ARGS...]
#
# Kinds: floor (GET /healthz), allowed and denied (GET /v1/auth, a live key, an origin of
# examples/policy.toml and one it denies), preflight (OPTIONS with Origin and
# Access-Control-Request-Method), and floor-headers (GET /healthz with the Origin and
# Authorization of allowed: the floor of a request that carries what /v1/auth reads, so
# that allowed - floor-headers is the decision's work without the parsing of those two
# headers). KINDS="floor allowed" picks some; BIN=path measures another build. Needs
# valgrind and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000}
shift || true
extra=("$@")
bin=${BIN:-target/release/origin-policy-server}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/policies"
cp examples/policy.toml "$work/policies/default.toml"

count() { # KIND REQUESTS -> total instructions
  local kind=$1 requests=$2 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$bin" serve \
    --policies "$work/policies" --listen "127.0.0.1:$port" --workers 1 "${extra[@]}" \
    >/dev/null 2>"$work/stderr" &
  local pid=$!
  for _ in $(seq 200); do curl -s -o /dev/null "127.0.0.1:$port/readyz" && break; sleep 0.1; done
  local path=/v1/auth
  {
    case $kind in
      floor) path=/healthz ;;
      floor-headers) path=/healthz; echo 'header = "Origin: https://docs.berbix.com"'; echo 'header = "Authorization: Bearer secret_live_4f9a"' ;;
      allowed) echo 'header = "Origin: https://docs.berbix.com"'; echo 'header = "Authorization: Bearer secret_live_4f9a"' ;;
      denied) echo 'header = "Origin: https://evil.example"'; echo 'header = "Authorization: Bearer secret_live_4f9a"' ;;
      preflight) echo 'header = "Origin: https://docs.berbix.com"'; echo 'header = "Access-Control-Request-Method: POST"'; echo 'request = "OPTIONS"' ;;
    esac
    for _ in $(seq "$requests"); do echo "url = \"http://127.0.0.1:$port$path\""; echo 'output = "/dev/null"'; done
  } >"$work/curl.conf"
  curl -s --config "$work/curl.conf"
  kill -TERM "$pid"
  wait "$pid" || true
  grep -o 'Collected : [0-9]*' "$work/stderr" | awk '{print $3}'
}

for kind in ${KINDS:-floor floor-headers allowed denied preflight}; do
  one=$(count "$kind" "$n")
  three=$(count "$kind" $((3 * n)))
  echo "$kind: $(((three - one) / (2 * n))) instructions per request"
done
