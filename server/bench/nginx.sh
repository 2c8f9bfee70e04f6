#!/usr/bin/env bash
# Requests/s through nginx with the decision service, against nginx checking the same list
# itself (issue 25 item 6, issue 26 item 6), for BENCHMARKS.md. One nginx worker and one
# service worker each; wrk on loopback; the application a fixed 204 (an nginx of its own);
# the policy examples/policy.toml (tenant `default`, host api.example.com).
#
#   cargo build --release -p origin-policy-server
#   server/bench/nginx.sh [ROUNDS] [SECONDS]        # default 3 rounds of 5 s
#
# Setups, run in interleaved rounds (a b c d, a b c d, ...), each on an allowed and a
# denied origin (a live key; Accept: application/json):
#   a  server/examples/nginx.conf as shipped, the service at --decision-max-age 0 (every
#      request asks the service)
#   b  server/examples/nginx.conf as shipped, the service at its default max-age (the
#      decision cache in use)
#   c  server/bench/nginx-map.conf: nginx alone, the list as a `map` regex
#   d  the service's /v1/auth directly (no nginx), one worker
#   e  nginx-map.conf's /v1/auth: nginx answering the same check itself, 204 or 403, no
#      application (d's baseline, issue 26 item 6)
# Prints each round, the medians, and the ratios b/c, a/c, d/e of requests/s; and, since a
# shared machine's requests/s depend on what else runs, the CPU time per request of the
# setup's processes (nginx, service, application; from /proc) and their ratios c/b, c/a,
# e/d (requests per CPU-second, relative to the baseline). Needs nginx and wrk
# (apt-get install nginx-light wrk). Env: CONNECTIONS (16), BIN (the server binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
seconds=${2:-5}
connections=${CONNECTIONS:-16}
bin=${BIN:-target/release/origin-policy-server}
for tool in nginx wrk "$bin"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() { # PORT
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2
  exit 1
}

mkdir "$work/policies"
cp examples/policy.toml "$work/policies/default.toml"

# The application: 204 for everything.
app=$(free_port)
mkdir "$work/app"
cat >"$work/app/nginx.conf" <<EOF
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path client_body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;
    access_log off;
    keepalive_requests 100000;
    server { listen 127.0.0.1:$app; location / { return 204; } }
}
EOF

start_nginx() { # DIR
  nginx -p "$1" -c "$1/nginx.conf" -e "$1/error.log" -t -q
  nginx -p "$1" -c "$1/nginx.conf" -e "$1/error.log" -g 'daemon off; master_process off;' \
    </dev/null >>"$1/error.log" 2>&1 &
  pids+=($!)
}
start_nginx "$work/app"
pid_app=${pids[-1]}

# Two services: no caching (a, d) and the default max-age (b).
start_service() { # PORT ARGS...
  local port=$1
  shift
  "$bin" serve --policies "$work/policies" --listen "127.0.0.1:$port" --workers 1 \
    --log-level warn "$@" </dev/null >/dev/null 2>>"$work/service.log" &
  pids+=($!)
}
uncached=$(free_port)
cached=$(free_port)
start_service "$uncached" --decision-max-age 0
pid_uncached=${pids[-1]}
start_service "$cached"
pid_cached=${pids[-1]}

# The three nginx setups; the access log off in all three (the same work).
setup_nginx() { # NAME CONF SERVICE PORT
  local dir="$work/$1"
  mkdir "$dir"
  sed -e "s/127.0.0.1:8080/127.0.0.1:$4/" -e "s/127.0.0.1:9000/127.0.0.1:$3/" \
    -e "s/127.0.0.1:3000/127.0.0.1:$app/" -e "s/^\( *access_log\) .*;/\1 off;/" \
    "$2" >"$dir/nginx.conf"
  start_nginx "$dir"
}
port_a=$(free_port)
port_b=$(free_port)
port_c=$(free_port)
setup_nginx a server/examples/nginx.conf "$uncached" "$port_a"
pid_a=${pids[-1]}
setup_nginx b server/examples/nginx.conf "$cached" "$port_b"
pid_b=${pids[-1]}
setup_nginx c server/bench/nginx-map.conf "$uncached" "$port_c"
pid_c=${pids[-1]}
for port in "$app" "$uncached" "$cached" "$port_a" "$port_b" "$port_c"; do wait_port "$port"; done

allowed_origin=https://docs.berbix.com
denied_origin=https://docs.berbix.com.evil.example

url_of() { # SETUP
  case $1 in
    a) echo "http://127.0.0.1:$port_a/api/v1/check" ;;
    b) echo "http://127.0.0.1:$port_b/api/v1/check" ;;
    c) echo "http://127.0.0.1:$port_c/api/v1/check" ;;
    d) echo "http://127.0.0.1:$uncached/v1/auth" ;;
    e) echo "http://127.0.0.1:$port_c/v1/auth" ;;
  esac
}
status_of() { # SETUP ORIGIN -> status
  curl -s -o /dev/null -w '%{http_code}' -H 'Host: api.example.com' -H 'X-Tenant: default' \
    -H 'Authorization: Bearer secret_live_bench' -H "Origin: $2" \
    -H 'Accept: application/json' "$(url_of "$1")"
}
# The processes of a setup: its nginx (none for d), the service it asks (none for c), the
# application (none for d).
procs_of() { # SETUP -> "NGINX SERVICE APP" (- for none)
  case $1 in
    a) echo "$pid_a $pid_uncached $pid_app" ;;
    b) echo "$pid_b $pid_cached $pid_app" ;;
    c) echo "$pid_c - $pid_app" ;;
    d) echo "- $pid_uncached -" ;;
    e) echo "$pid_c - -" ;;
  esac
}
cpu_ticks() { # PID -> user + system clock ticks so far (0 for -)
  if [ "$1" = - ]; then echo 0; else awk '{print $14 + $15}' "/proc/$1/stat"; fi
}
run() { # SETUP ORIGIN SECONDS -> "REQ/S NGINX_US SERVICE_US APP_US" (CPU-us per request)
  local procs before=() after=() out requests rps hz
  read -ra procs <<<"$(procs_of "$1")"
  for pid in "${procs[@]}"; do before+=("$(cpu_ticks "$pid")"); done
  out=$(wrk -t1 -c"$connections" -d"${3}s" -H 'Host: api.example.com' -H 'X-Tenant: default' \
    -H 'Authorization: Bearer secret_live_bench' -H "Origin: $2" \
    -H 'Accept: application/json' "$(url_of "$1")")
  for pid in "${procs[@]}"; do after+=("$(cpu_ticks "$pid")"); done
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  hz=$(getconf CLK_TCK)
  awk -v rps="$rps" -v n="$requests" -v hz="$hz" \
    -v n0="${before[0]}" -v n1="${after[0]}" -v s0="${before[1]}" -v s1="${after[1]}" \
    -v a0="${before[2]}" -v a1="${after[2]}" 'BEGIN {
      f = 1e6 / hz / n
      printf "%s %.1f %.1f %.1f\n", rps, (n1 - n0) * f, (s1 - s0) * f, (a1 - a0) * f }'
}

# Each setup answers as it should before it is measured.
for setup in a b c d e; do
  allowed=$(status_of "$setup" "$allowed_origin")
  denied=$(status_of "$setup" "$denied_origin")
  case "$allowed $denied" in
    "204 403") ;;
    *) echo "setup $setup answers $allowed (allowed) and $denied (denied)" >&2; exit 1 ;;
  esac
done

echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk: 1 thread, $connections connections, $seconds s per run; $rounds rounds"
echo "per run: requests/s, then CPU-us per request of nginx / the service / the application"
declare -A results
for round in $(seq "$rounds"); do
  for kind in allowed denied; do
    origin=$allowed_origin
    [ "$kind" = denied ] && origin=$denied_origin
    line="round $round $kind:"
    for setup in a b c d e; do
      read -r rps nginx_us service_us app_us <<<"$(run "$setup" "$origin" "$seconds")"
      results[$setup.$kind.rps]+="$rps "
      results[$setup.$kind.cpu]+="$(awk -v x="$nginx_us" -v y="$service_us" -v z="$app_us" 'BEGIN {print x + y + z}') "
      line+=" $setup=$rps ($nginx_us/$service_us/$app_us)"
    done
    echo "$line"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
for kind in allowed denied; do
  declare -A m c
  for setup in a b c d e; do
    m[$setup]=$(echo "${results[$setup.$kind.rps]}" | median)
    c[$setup]=$(echo "${results[$setup.$kind.cpu]}" | median)
  done
  awk -v kind="$kind" -v a="${m[a]}" -v b="${m[b]}" -v c="${m[c]}" -v d="${m[d]}" -v e="${m[e]}" 'BEGIN {
    printf "%-8s median req/s:         a=%.0f b=%.0f c=%.0f d=%.0f e=%.0f  b/c=%.2f a/c=%.2f d/e=%.2f\n",
      kind, a, b, c, d, e, b / c, a / c, d / e }'
  # Requests per CPU-second of all the setup's processes, as a ratio to the baseline's:
  # what the setup would serve on cores of its own, whatever else the machine runs.
  awk -v kind="$kind" -v a="${c[a]}" -v b="${c[b]}" -v c="${c[c]}" -v d="${c[d]}" -v e="${c[e]}" 'BEGIN {
    printf "%-8s median CPU-us/request: a=%.1f b=%.1f c=%.1f d=%.1f e=%.1f  c/b=%.2f c/a=%.2f e/d=%.2f\n",
      kind, a, b, c, d, e, c / b, c / a, e / d }'
done
