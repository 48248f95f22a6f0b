#!/usr/bin/env bash
# Creates a throw-away SoftHSM2 token for tests (and for trying `--provider pkcs11` by hand).
#   scripts/softhsm-test-token.sh DIR LABEL USER_PIN SO_PIN
# Writes DIR/softhsm2.conf (token directory DIR/tokens) and initializes a token LABEL in the first
# free slot. Prints the path of the config file; export it as SOFTHSM2_CONF before using the token.
set -euo pipefail
dir=$1 label=$2 pin=$3 so_pin=$4
command -v softhsm2-util >/dev/null || { echo "softhsm2-util not found: install softhsm2" >&2; exit 3; }
mkdir -p "$dir/tokens"
chmod 700 "$dir" "$dir/tokens"
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label "$label" \
  --pin "$pin" --so-pin "$so_pin" >/dev/null
echo "$dir/softhsm2.conf"
