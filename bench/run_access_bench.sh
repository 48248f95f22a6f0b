#!/bin/sh
# Access decisions: bench/access_bench (ours) and node-casbin on the same workload
# (bench/workloads/casbin_abac.mjs), interleaved round by round, with the load average beside
# each round. Prints min/median/max per mode and the ratio to node-casbin.
#
#   bench/run_access_bench.sh [build-dir] [rounds]
#
# node-casbin is installed outside the repository (CASBIN_DIR, default /tmp/casbin):
#   mkdir -p /tmp/casbin && cd /tmp/casbin && npm init -y && npm install casbin@5
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
rounds=${2:-3}
casbin=${CASBIN_DIR:-/tmp/casbin}

if [ ! -d "$casbin/node_modules/casbin" ]; then
  echo "node-casbin is not installed in $casbin (see the header of this script)" >&2
  exit 2
fi
cp "$here/workloads/casbin_abac.mjs" "$casbin/casbin_abac.mjs"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

i=1
while [ "$i" -le "$rounds" ]; do
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "round $i (load $load)"
  "$build/bench/access_bench" 1 200 20000 | tee -a "$out" | grep -v '^ACCESS_'
  theirs=$(cd "$casbin" && node casbin_abac.mjs)
  echo "node-casbin: $theirs"
  echo "$theirs" | sed -n 's/.*"us_per_decision":\([0-9.]*\).*/CASBIN_US=\1/p' >> "$out"
  echo "$theirs" | sed -n 's/.*"allowed":\([0-9]*\).*/CASBIN_ALLOWED=\1/p' >> "$out"
  i=$((i + 1))
done

# min / median / max of the values of one key (ns, or us for casbin).
stats() {
  grep "^$1=" "$out" | cut -d= -f2 | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s %s\n", v[1], m, v[NR] }'
}
echo
echo "mode (median of 100-decision blocks, ns): min median max"
for key in ACCESS_DECIDE_200 ACCESS_EXPLAIN_200 ACCESS_CEL_200 ACCESS_DECIDE_20000 ACCESS_EXPLAIN_20000 ACCESS_CEL_20000; do
  echo "$key: $(stats $key)"
done
echo "CASBIN (us per decision): $(stats CASBIN_US)"
echo "allowed: ours $(grep '^ACCESS_ALLOWED_200=' "$out" | head -1 | cut -d= -f2), node-casbin $(grep '^CASBIN_ALLOWED=' "$out" | head -1 | cut -d= -f2)"
ours=$(stats ACCESS_DECIDE_200 | cut -d' ' -f2)
theirs=$(stats CASBIN_US | cut -d' ' -f2)
awk -v o="$ours" -v t="$theirs" 'BEGIN { if (o > 0) printf "ratio (node-casbin / bulwark decide, medians): %.0fx\n", t * 1000 / o }'
