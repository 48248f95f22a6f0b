#!/usr/bin/env bash
# Builds (Release) and runs every benchmark in bench/, printing their results. bench/RESULTS.md
# records the figures with the workload and the reference each issue names.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
for b in build/bench/*_bench; do
  echo "== $b"
  "$b" "$@"
done
# Whole-process benchmarks of the CLI (they take the build directory, not the bench arguments).
echo "== bench/agent_bench.py"
python3 bench/agent_bench.py build
