#!/usr/bin/env bash
# Secret-scanning throughput and quality (bench/results/scan.md): bulwark scan vs secretlint on the
# same generated configuration files, interleaved, several rounds, load average alongside.
#   bench/scan/run.sh [BUILD_DIR] [ROUNDS]
# Needs: the Release build (bulwark, scan_bench) and `npm ci` in bench/scan (secretlint).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
ROUNDS="${2:-3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BULWARK="$BUILD/bulwark"
TOOL="$BUILD/bench/scan_bench"
SECRETLINT="$HERE/node_modules/.bin/secretlint"

# Two corpora from seeds the tests do not use: a small one both tools scan (secretlint is slow),
# a large one for bulwark's throughput, and one 1 GiB file with a 100 MiB line for memory.
# Realistic density: one line in 200 holds a secret (the quality corpus of the tests has 15%).
"$TOOL" corpus "$WORK/small" 7001 100 250 0.005
"$TOOL" corpus "$WORK/large" 7002 4000 1500 0.005
printf '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}\n' > "$WORK/small/.secretlintrc.json"
rm -f "$WORK/small/labels.json" "$WORK/large/labels.json"
small_bytes=$(du -sb "$WORK/small" | cut -f1)
large_bytes=$(du -sb "$WORK/large" | cut -f1)
echo "small corpus: $small_bytes bytes; large corpus: $large_bytes bytes"

t() {  # prints "wall_s user_s maxrss_kb"
  /usr/bin/time -f "%e %U %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || true
  cat "$WORK/time"
}
"$BULWARK" scan "$WORK/small" --threads 1 >/dev/null || true   # warm the rule cache

for r in $(seq 1 "$ROUNDS"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  # Secrets only (the multi-pattern matcher the target is about), then with the settings scanner
  # (which parses every document) on the small corpus.
  b1=$(t "$BULWARK" scan "$WORK/large" --no-settings --threads 1 --format json -o "$WORK/out.json")
  b2=$(t "$BULWARK" scan "$WORK/large" --no-settings --threads 2 --format json -o "$WORK/out.json")
  bs=$(t "$BULWARK" scan "$WORK/small" --no-settings --threads 1 --format json -o "$WORK/out.json")
  bss=$(t "$BULWARK" scan "$WORK/small" --threads 1 --format json -o "$WORK/out.json")
  sl=$(cd "$WORK/small" && t "$SECRETLINT" --secretlintrc .secretlintrc.json --format json "**/*")
  echo "round $r load $load | bulwark large 1 thread: $b1 | 2 threads: $b2 | bulwark small 1 thread: $bs | with settings: $bss | secretlint small: $sl"
done

"$TOOL" bigfile "$WORK/big.yaml" 1024 100
mem=$(t "$BULWARK" scan "$WORK/big.yaml" --no-settings --threads 1)
echo "1 GiB file with a 100 MiB line: $mem (wall s, user s, max RSS KiB)"
