#!/usr/bin/env bash
# Fault tests of `bulwark serve` (a script, not in CI; results in bench/results/server.md):
#
#   bench/server_faults.sh [BUILD_DIR] kill9     # kill -9 under write load, restart, check every acknowledged write and its audit event
#   bench/server_faults.sh [BUILD_DIR] pgstop    # PostgreSQL stopped 20 s under load: 503s, then recovery without a restart
#
# Everything runs on 127.0.0.1; loops are bounded in time; servers and the private PostgreSQL
# cluster (its own port, not the tests') are stopped at the end.
set -euo pipefail

BUILD=${1:-build}
MODE=${2:-kill9}
B=$(readlink -f "$BUILD/bulwark")
W=$(mktemp -d /tmp/bulwark-faults.XXXXXX)
SERVER_PID=""
PG_PORT=54391
# Outside $W (0700, root): the postgres user must reach it when the script runs as root.
PG_DIR=$(mktemp -d /tmp/bulwark-faults-pg.XXXXXX)
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  if [ -d "$PG_DIR/data" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$W" "$PG_DIR"
}
trap cleanup EXIT

export BULWARK_HOME="$W/home"
export BULWARK_PASSPHRASE="faults-passphrase-not-secret"
$B init >/dev/null
printf '%s' "$BULWARK_PASSPHRASE" > "$W/passphrase"
(
  cd "$W"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=faults-ca 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key 2>/dev/null
  openssl req -new -key server.key -out server.csr -subj /CN=localhost 2>/dev/null
  echo "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
)
TOKEN=$($B serve new-token --id faults --role admin 2>"$W/entry")
{ echo "tokens:"; tail -n 1 "$W/entry"; } > "$W/tokens.yaml"

STORE_LINES=""
if [ "$MODE" = pgstop ]; then
  mkdir -p "$PG_DIR"; [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start >/dev/null
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p $PG_PORT -U postgres faults
  PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/faults"
  STORE_LINES="store: \"$PG_URL\"
audit_store: \"$PG_URL\""
  export BULWARK_AUDIT_STORE="$PG_URL"
fi
PORT=18443
cat > "$W/server.yaml" <<EOF
listen: 127.0.0.1:$PORT
home: $BULWARK_HOME
passphrase_file: $W/passphrase
$STORE_LINES
tls: {cert: $W/server.pem, key: $W/server.key}
auth: {tokens_file: $W/tokens.yaml}
authorization: {grants: [{roles: [admin], actions: ["*"], resources: ["*"]}]}
log: {requests: false}
EOF

start_server() {
  $B serve --config "$W/server.yaml" 2>>"$W/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -s --cacert "$W/ca.pem" "https://127.0.0.1:$PORT/v1/sys/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$W/server.log"; echo "server did not start"; exit 5
}
CURL=(curl -s --cacert "$W/ca.pem" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")
U="https://127.0.0.1:$PORT"

if [ "$MODE" = kill9 ]; then
  start_server
  "${CURL[@]}" -X PUT "$U/v1/config/data/faults/app" -d '{"document": {"start": true}}' >/dev/null
  # Four writers, each setting its own keys; an acknowledged write is one that answered 200.
  for w in 1 2 3 4; do
    (
      end=$((SECONDS + 30))
      i=0
      while [ $SECONDS -lt $end ]; do
        i=$((i + 1))
        code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "$U/v1/config/set/faults/app" \
          -d "{\"path\": \"w$w.k$i\", \"value\": $i}" 2>/dev/null || true)
        if [ "$code" = 200 ]; then echo "w$w.k$i" >> "$W/acked"; fi
        if [ "$code" = 000 ]; then break; fi
      done
    ) &
  done
  sleep 4
  kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  wait
  acked=$(wc -l < "$W/acked")
  start_server
  doc=$("${CURL[@]}" "$U/v1/config/data/faults/app")
  missing=0
  while read -r key; do
    w=${key%%.*}; k=${key#*.}
    echo "$doc" | python3 -c "import json,sys; d=json.load(sys.stdin)['value']; sys.exit(0 if '$k' in d.get('$w', {}) else 1)" || missing=$((missing + 1))
  done < "$W/acked"
  sets=$("${CURL[@]}" "$U/v1/audit/events?namespace=faults/app&action=write&outcome=success&limit=1000" |
    python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin)['events'] if e['event']['data']['operation']=='config.set'))")
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
  verify=$($B audit verify | tail -n 1)
  echo "kill -9 under write load: $acked writes acknowledged before the kill, $missing missing after restart;"
  echo "  config.set success events in the audit log: $sets (>= acknowledged: $([ "$sets" -ge "$acked" ] && echo yes || echo NO));"
  echo "  audit verify: $verify"
  [ "$missing" -eq 0 ] && [ "$sets" -ge "$acked" ] || exit 1
fi

if [ "$MODE" = pgstop ]; then
  start_server
  "${CURL[@]}" -X PUT "$U/v1/config/data/faults/app" -d '{"document": {"n": 0}}' >/dev/null
  : > "$W/codes"
  (
    end=$((SECONDS + 45))
    while [ $SECONDS -lt $end ]; do
      code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' --max-time 10 "$U/v1/config/data/faults/app" 2>/dev/null || true)
      echo "$SECONDS $code" >> "$W/codes"
      sleep 0.1
    done
  ) &
  LOOP=$!
  sleep 5
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
  echo "PostgreSQL stopped at +5 s"
  sleep 20
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start >/dev/null
  echo "PostgreSQL started at +25 s"
  wait $LOOP
  ready=$(curl -s --cacert "$W/ca.pem" "$U/v1/sys/ready")
  echo "status codes over time (second: count per code):"
  awk '{c[$1" "$2]++} END {for (k in c) print k, c[k]}' "$W/codes" | sort -n | awk '{printf "  +%ss %s x%s\n", $1, $2, $3}'
  total_503=$(awk '$2 == 503' "$W/codes" | wc -l)
  last=$(tail -n 20 "$W/codes" | awk '$2 == 200' | wc -l)
  echo "503 answers during the outage: $total_503; 200 among the last 20 after recovery: $last; ready: $ready"
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
  echo "audit verify: $($B audit verify | tail -n 1)"
  [ "$total_503" -gt 0 ] && [ "$last" -eq 20 ] || exit 1
fi
