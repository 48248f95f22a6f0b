#!/usr/bin/env bash
# The main job on the embedded default: install dependencies, build in Release, and walk through
# what Bulwark does today with the example configuration in examples/config/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBULWARK_BUILD_TESTS=OFF -DBULWARK_BUILD_BENCH=OFF >/dev/null
cmake --build build -j "$(nproc)" --target bulwark

B=build/bulwark
EX=examples/config
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

step "Version" "$B --version"
$B --version

step "Merge base < production < environment (APP_ prefix), secrets redacted" \
  "APP_DATABASE__PORT=6432 $B config load $EX/base.yaml $EX/production.yaml --env-prefix APP_ --schema $EX/schema.json"
APP_DATABASE__PORT=6432 $B config load $EX/base.yaml $EX/production.yaml --env-prefix APP_ --schema $EX/schema.json

step "Where every value came from (file:line:column, variable, or schema default)" \
  "APP_DATABASE__PORT=6432 $B config load $EX/base.yaml $EX/production.yaml --env-prefix APP_ --schema $EX/schema.json --provenance"
APP_DATABASE__PORT=6432 $B config load $EX/base.yaml $EX/production.yaml --env-prefix APP_ --schema $EX/schema.json --provenance

step "Validate against the JSON Schema" "$B config validate $EX/base.yaml $EX/production.yaml --schema $EX/schema.json"
$B config validate $EX/base.yaml $EX/production.yaml --schema $EX/schema.json

step "Strict (production) mode refuses schema defaults and lists every missing value" \
  "$B config validate $EX/production.yaml --schema $EX/schema.json --strict"
set +e
$B config validate $EX/production.yaml --schema $EX/schema.json --strict
echo "(exit code $?: 1 means problems were found)"
set -e

step "The same configuration as environment variables for a process" \
  "$B config load $EX/base.yaml $EX/production.yaml --format env --env-prefix APP_"
$B config load $EX/base.yaml $EX/production.yaml --format env --env-prefix APP_
