#!/bin/sh
# Installs this build into a scratch prefix, builds examples/embed as a separate project against
# the installed package (find_package(Bulwark)), and runs it on a home made with the installed CLI:
# the example must read the value, reveal the secret, and both reads must be in the audit log.
#   embed_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
source=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-embed-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -x "$work/prefix/bin/bulwark"
test -f "$work/prefix/include/bulwark/node/node.h"
test -f "$work/prefix/lib/cmake/Bulwark/BulwarkConfig.cmake"

launcher=""
if command -v ccache > /dev/null; then launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; fi
cmake -S "$source/examples/embed" -B "$work/embed" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" $launcher > "$work/configure.log"
cmake --build "$work/embed" > "$work/build.log"

export BULWARK_HOME="$work/home" BULWARK_PASSPHRASE="embed-test-passphrase"
unset BULWARK_STORE BULWARK_AUDIT_STORE || true
"$work/prefix/bin/bulwark" init > /dev/null
printf '{"db": {"host": "db1", "password": "s3cret-embed"}}\n' > "$work/app.json"
"$work/prefix/bin/bulwark" put dev/app "$work/app.json" > /dev/null

out=$("$work/embed/embed" dev/app db.host db.password)
expected='db.host = "db1"
db.password = "s3cret-embed"'
if [ "$out" != "$expected" ]; then
  echo "embed printed:"; echo "$out"; echo "expected:"; echo "$expected"; exit 1
fi

events=$("$work/prefix/bin/bulwark" audit log --json | grep -c '"client":"embed-example/1.0"')
revealed=$("$work/prefix/bin/bulwark" audit log --json | grep '"client":"embed-example/1.0"' | grep -c '"revealed":true')
if [ "$events" != 2 ] || [ "$revealed" != 1 ]; then
  echo "expected 2 audited reads by the example (1 revealed), found $events ($revealed revealed)"
  exit 1
fi
if "$work/prefix/bin/bulwark" audit log --json | grep -q 's3cret-embed'; then
  echo "a secret value appears in the audit log"; exit 1
fi
echo "embed example: built against the installed package, ran, audited"
