#!/usr/bin/env bash
# Load test of `bulwark serve` with wrk (Debian package) on loopback (bench/RESULTS.md, "Server").
#
#   bench/server_bench.sh [BUILD_DIR] [ROUNDS] [SECONDS] [CONNECTIONS]
#   SOAK_SECONDS=600 bench/server_bench.sh [BUILD_DIR]     # soak: mixed traffic, RSS and fds sampled
#
# Starts one server over a fresh home (SQLite store, durable SQLite audit log, API-token
# authentication, role grants, decrypted-value cache on), then runs interleaved rounds of:
#   static   GET /v1/sys/health                    (TLS + HTTP + routing only: the baseline)
#   read     GET /v1/config/data/bench/app          (authn + authz + store read + redaction + durable audit)
#   reveal   GET /v1/config/reveal/bench/app?path=db.password  (the same + decryption of one secret)
#   write    POST /v1/config/set/bench/w<N>         (authn + authz + encrypt + store commit + durable audit)
# and prints one line per run: requests/s, p50/p99 latency, server CPU per request, load average.
# Every request loop is bounded (wrk -d) and the server is stopped at the end.
set -euo pipefail

BUILD=${1:-build}
ROUNDS=${2:-3}
SECS=${3:-10}
CONNS=${4:-64}
THREADS=2
B=$(readlink -f "$BUILD/bulwark")
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }

W=$(mktemp -d /tmp/bulwark-bench.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$W"
}
trap cleanup EXIT

export BULWARK_HOME="$W/home"
export BULWARK_PASSPHRASE="bench-passphrase-not-secret"
$B init >/dev/null
printf '%s' "$BULWARK_PASSPHRASE" > "$W/passphrase"

# Certificates.
(
  cd "$W"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=bench-ca 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key 2>/dev/null
  openssl req -new -key server.key -out server.csr -subj /CN=localhost 2>/dev/null
  echo "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
    -extfile server.ext 2>/dev/null
)

TOKEN=$($B serve new-token --id bench --role admin 2>"$W/entry")
{ echo "tokens:"; tail -n 1 "$W/entry"; } > "$W/tokens.yaml"

cat > "$W/server.yaml" <<EOF
listen: 127.0.0.1:0
home: $BULWARK_HOME
passphrase_file: $W/passphrase
tls: {cert: $W/server.pem, key: $W/server.key}
auth: {tokens_file: $W/tokens.yaml}
authorization:
  grants:
    - {roles: [admin], actions: ["*"], resources: ["*"]}
limits: {max_connections: 4096}
threads: {io: 2, workers: 128}
log: {requests: false}
EOF

# A document with four secrets among ordinary settings.
cat > "$W/app.json" <<'EOF'
{"db": {"host": "db.internal", "port": 5432, "user": "app", "password": "s3cret-db-password"},
 "api": {"token": "tok-abcdef0123456789", "timeout_ms": 2500, "retries": 3},
 "cache": {"url": "redis://cache:6379", "password": "cache-pass-xyz"},
 "jwt_secret_key": "jwt-signing-key-0123456789", "feature": {"beta": false, "limit": 100}}
EOF
$B put bench/app "$W/app.json" -m "bench fixture" >/dev/null

$B serve --config "$W/server.yaml" 2>"$W/server.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT=$(grep -o '"port":[0-9]*' "$W/server.log" | head -1 | cut -d: -f2 || true)
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { cat "$W/server.log"; echo "server did not start"; exit 5; }
URL="https://127.0.0.1:$PORT"

cat > "$W/auth.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $TOKEN"
EOF
cat > "$W/write.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = '{"path": "counter", "value": ' .. n .. '}'
  return wrk.format("POST", "/v1/config/set/bench/w" .. (n % 256), nil, body)
end
EOF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
HZ=$(getconf CLK_TCK)

run() {  # name path script
  local name=$1 path=$2 script=$3
  local t0 c0 out rps p50 p99 reqs c1 cpu_us
  c0=$(cpu_ticks)
  out=$(wrk -t$THREADS -c"$CONNS" -d"${SECS}s" --latency -s "$script" "$URL$path" 2>&1)
  c1=$(cpu_ticks)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  cpu_us=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v r="$reqs" 'BEGIN { if (r > 0) printf "%.1f", t * 1e6 / hz / r; else print "n/a" }')
  printf '%-7s %10s req/s  p50 %8s  p99 %8s  server CPU %6s us/req  non-2xx %s  load %s\n' \
    "$name" "$rps" "$p50" "$p99" "$cpu_us" "${non2xx:-0}" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

if [ -n "${SOAK_SECONDS:-}" ]; then
  # Mixed traffic (per 10 requests: 5 redacted reads, 2 reveals, 3 writes over 256 namespaces) for
  # SOAK_SECONDS, with the server's resident memory, open descriptors and threads sampled every
  # SAMPLE seconds: a leak shows as a curve that keeps rising after the first minutes.
  SAMPLE=${SAMPLE:-15}
  cat > "$W/mixed.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local k = n % 10
  if k < 5 then return wrk.format("GET", "/v1/config/data/bench/app") end
  if k < 7 then return wrk.format("GET", "/v1/config/reveal/bench/app?path=db.password") end
  return wrk.format("POST", "/v1/config/set/bench/s" .. (n % 256), nil, '{"path": "n", "value": ' .. n .. '}')
end
EOF
  echo "# soak: ${SOAK_SECONDS}s of mixed traffic, $CONNS connections, $THREADS wrk threads, $(nproc) cores, $(date -u +%FT%TZ)"
  wrk -t$THREADS -c"$CONNS" -d"${SOAK_SECONDS}s" --latency -s "$W/mixed.lua" "$URL/" > "$W/soak.wrk" 2>&1 &
  WRK_PID=$!
  printf '%6s %10s %6s %8s %10s  %s\n' "t(s)" "RSS(KiB)" "fds" "threads" "CPU(s)" "load"
  t=0
  while kill -0 "$WRK_PID" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
    fds=$(ls "/proc/$SERVER_PID/fd" | wc -l)
    thr=$(awk '/^Threads/ {print $2}' "/proc/$SERVER_PID/status")
    cpu=$(awk -v hz="$HZ" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$SERVER_PID/stat")
    printf '%6d %10d %6d %8d %10s  %s\n' "$t" "$rss" "$fds" "$thr" "$cpu" "$(cut -d' ' -f1-3 /proc/loadavg)"
    sleep "$SAMPLE"; t=$((t + SAMPLE))
  done
  wait "$WRK_PID" || true
  echo "## wrk"
  grep -E 'requests in|Requests/sec|Non-2xx|Socket errors|^ +(50|99)%' "$W/soak.wrk" || cat "$W/soak.wrk"
  echo "## audit log after the soak"
  "$B" audit verify | tail -n 3
  exit 0
fi

echo "# bulwark serve under wrk: $ROUNDS rounds x ${SECS}s, $CONNS connections, $THREADS wrk threads, $(nproc) cores"
echo "# $(date -u +%FT%TZ)  $(uname -r)"
for r in $(seq 1 "$ROUNDS"); do
  echo "## round $r"
  run static "/v1/sys/health" "$W/auth.lua"
  run read "/v1/config/data/bench/app" "$W/auth.lua"
  run reveal "/v1/config/reveal/bench/app?path=db.password" "$W/auth.lua"
  run write "/v1/config/set/bench/w0" "$W/write.lua"
done
echo "## audit log after the run"
"$B" audit verify | tail -n 3
