#!/bin/sh
# Runs the CEL benchmark (build/bench/cel_bench) and the @marcbachmann/cel-js reference on the same
# workload in the same session, and prints the ratios.
#
#   bench/run_cel_bench.sh [build-dir]
#
# The reference is installed outside the repository (CELJS_DIR, default /tmp/celjs):
#   mkdir -p /tmp/celjs && cd /tmp/celjs && npm init -y && npm install @marcbachmann/cel-js
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
workloads=$root/bench/workloads
celjs=${CELJS_DIR:-/tmp/celjs}

if [ ! -d "$celjs/node_modules/@marcbachmann/cel-js" ]; then
  echo "cel-js is not installed in $celjs (see the header of this script)" >&2
  exit 2
fi
cp "$here/reference/cel_js_bench.mjs" "$celjs/cel_js_bench.mjs"

ours=$("$build/bench/cel_bench" 3000)
theirs=$(cd "$celjs" && node cel_js_bench.mjs "$workloads" 500)
echo "$ours" | grep -v '^BULWARK_'
echo "$theirs" | grep -v '^CELJS_'

get() { echo "$1" | sed -n "s/^$2=//p"; }
b_med=$(get "$ours" BULWARK_MEDIAN_MS)
b_best=$(get "$ours" BULWARK_BEST_MS)
j_med=$(get "$theirs" CELJS_MEDIAN_MS)
j_best=$(get "$theirs" CELJS_BEST_MS)
awk -v bm="$b_med" -v bb="$b_best" -v jm="$j_med" -v jb="$j_best" 'BEGIN {
  printf "ratio (cel-js / bulwark): median %.1fx, best %.1fx\n", jm / bm, jb / bb
}'
