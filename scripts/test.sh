#!/usr/bin/env bash
# Installs every dependency, builds and runs the whole test suite.
#   scripts/test.sh            Release build in build/, all tests (ctest prints the summary)
#   scripts/test.sh --asan     ASan+UBSan build in build-asan/, all tests
#   scripts/test.sh --fuzz     clang-16 libFuzzer build in build-fuzz/, each fuzzer for FUZZ_SECONDS (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
case "${1:-}" in
  --asan) mode=asan ;;
  --fuzz) mode=fuzz ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--asan|--fuzz]" >&2; exit 2 ;;
esac

scripts/install-deps.sh
jobs=$(nproc)
# ccache keys on relative paths, so fresh clones at other paths (CI) reuse earlier compilations.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1

case "$mode" in
  release)
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
    cmake --build build -j "$jobs"
    (cd build && ctest --output-on-failure -j "$jobs")
    ;;
  asan)
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBULWARK_SANITIZE=ON \
      -DBULWARK_BUILD_BENCH=OFF
    cmake --build build-asan -j "$jobs"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    (cd build-asan && ctest --output-on-failure -j "$jobs")
    ;;
  fuzz)
    CC=clang-16 CXX=clang++-16 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBULWARK_FUZZ=ON -DBULWARK_BUILD_TESTS=OFF -DBULWARK_BUILD_BENCH=OFF
    cmake --build build-fuzz -j "$jobs"
    seconds="${FUZZ_SECONDS:-20}"
    shopt -s nullglob
    fuzzers=(build-fuzz/fuzz/*_fuzzer)
    artifacts="build-fuzz/artifacts"
    mkdir -p "$artifacts"
    failed=()
    for f in "${fuzzers[@]}"; do
      name=$(basename "$f")
      corpus="fuzz/corpus/${name%_fuzzer}"
      work=$(mktemp -d)
      log="$artifacts/$name.log"
      [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
      echo "== $name for ${seconds}s"
      # Every fuzzer runs even when one fails; a failure prints its report and keeps the input.
      if "$f" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
          -artifact_prefix="$artifacts/$name-" "$work" >"$log" 2>&1; then
        tail -n 4 "$log"
      else
        rc=$?
        failed+=("$name")
        echo "FAILED: $name exited $rc; its report (input kept under $artifacts/):"
        grep -A 40 -E "^==[0-9]+== ?ERROR|^SUMMARY|Test unit written" "$log" | head -n 80 || tail -n 60 "$log"
      fi
      rm -rf "$work"
    done
    echo "fuzz: $((${#fuzzers[@]} - ${#failed[@]})) passed, ${#failed[@]} failed ${failed[*]}"
    [ ${#failed[@]} -eq 0 ]
    ;;
esac
