#!/usr/bin/env bash
# The main job on the embedded default (SQLite store in a throwaway home): install dependencies,
# build in Release, and walk through what Bulwark does with the files in examples/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target bulwark

B="$PWD/build/bulwark"
EX="$PWD/examples/config"
WORK=$(mktemp -d /tmp/bulwark-demo-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export BULWARK_HOME="$WORK/home"
export BULWARK_PASSPHRASE="demo-passphrase-do-not-reuse"   # scripted use; a terminal gets a prompt
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
run() { step "$1" "${*:2}"; "${@:2}" || echo "(exit code $?)"; }

run "Version" $B --version

# 1. Configuration: load, merge, validate, trace.
step "Merge base < production < environment (APP_ prefix); secrets redacted" \
  "APP_DATABASE__PORT=6432 bulwark config load base.yaml production.yaml --env-prefix APP_ --schema schema.json"
APP_DATABASE__PORT=6432 $B config load $EX/base.yaml $EX/production.yaml --env-prefix APP_ --schema $EX/schema.json
step "Where every value came from" "bulwark config load ... --provenance"
APP_DATABASE__PORT=6432 $B config load $EX/base.yaml $EX/production.yaml --env-prefix APP_ --schema $EX/schema.json --provenance
run "Validate against the JSON Schema" $B config validate $EX/base.yaml $EX/production.yaml --schema $EX/schema.json
run "Strict (production) mode lists every missing value" $B config validate $EX/production.yaml --schema $EX/schema.json --strict

# 2. Keys and encrypted files.
run "Create the home: passphrase keystore (Argon2id) + keyring (AES-256-GCM)" $B init
cp $EX/base.yaml "$WORK/app.yaml"
run "Encrypt the sensitive values in place (comments, order, quoting untouched)" $B encrypt -i "$WORK/app.yaml"
step "The file now" "cat app.yaml"; cat "$WORK/app.yaml"
run "Decrypt restores the original bytes" sh -c "$B decrypt $WORK/app.yaml | cmp - $EX/base.yaml && echo identical"
run "Run a program with the decrypted configuration in its environment" \
  $B exec "$WORK/app.yaml" --env-prefix APP_ -- sh -c 'echo "database host=$APP_DATABASE__HOST, password is ${#APP_DATABASE__PASSWORD} characters"'
run "Rotate the data key (old values stay readable)" $B keys rotate
run "Keys" $B keys list

# 3. The versioned store (SQLite in the home), every operation through one audited pipeline.
run "Store the configuration as production/api version 1 (schema attached)" \
  $B put production/api $EX/base.yaml --schema $EX/schema.json -m "initial import"
run "Read it back (secrets redacted)" $B get production/api database
run "Reveal one secret (audited)" $B get production/api database.password --reveal
run "Change one value" $B set production/api database.port 6543 -m "new port"
step "Set a secret from stdin (stays out of shell history)" "echo ... | bulwark set production/api api_token - --secret"
echo "tok-$(date +%s)-example" | $B set production/api api_token - --secret
run "A schema violation is refused" $B set production/api database.port 70000
run "History" $B history production/api
run "Diff (secrets shown as changed, never in clear)" $B diff production/api 1 3
run "Roll back" $B rollback production/api --to 1 --reason "demo rollback"
run "Namespaces" $B ls

# 4. Compliance: the environment validator's ten rules (baseline) and the framework packs, on one
# service's file, a stored namespace, the process environment and merged layers.
run "Check one service's configuration: passes, violations, remediations, score per environment" \
  $B check $EX/service.yaml
run "Why each rule passed, failed or did not apply" sh -c "$B check $EX/service.yaml --explain | sed -n '/^Every rule:/,/^\$/p'"
run "Check the stored namespace production/api (decrypted and audited inside the service)" \
  $B check production/api
VH="VOICEHIVE_SERVICE_NAME=voice-gateway VOICEHIVE_ENVIRONMENT=production VOICEHIVE_REGION=eu-west-1"
VH="$VH VOICEHIVE_DATABASE__HOST=db VOICEHIVE_DATABASE__SSL_MODE=disable VOICEHIVE_DATABASE__PASSWORD=short"
VH="$VH VOICEHIVE_REDIS__SSL=true VOICEHIVE_AUTH__JWT_ALGORITHM=HS256 VOICEHIVE_AUTH__JWT_EXPIRATION_MINUTES=30"
VH="$VH VOICEHIVE_AUTH__JWT_SECRET_KEY=too-short VOICEHIVE_LOGGING__LEVEL=info"
VH="$VH VOICEHIVE_SECURITY__CORS_ALLOWED_ORIGINS=[\"https://app.example.eu\"]"
step "Check the process environment as the service reads it" "$VH bulwark check --env-prefix VOICEHIVE_"
env $VH $B check --env-prefix VOICEHIVE_ || echo "(exit code $?)"
step "Files and environment merged as config load merges them" \
  "APP_LOGGING__LEVEL=debug bulwark check base.yaml production.yaml --env-prefix APP_ --format json | ...environments"
APP_LOGGING__LEVEL=debug $B check $EX/base.yaml $EX/production.yaml --env-prefix APP_ --format json \
  | sed -n '/"environments"/,/"rules"/p' | head -30 || true
cp $EX/service.yaml "$WORK/service.yaml"
run "Fix what has a safe fix, in place (only those values' bytes change), and report what is left" \
  $B check "$WORK/service.yaml" --fix
step "What --fix changed" "diff service.yaml fixed/service.yaml"
diff $EX/service.yaml "$WORK/service.yaml" || true
run "Check a file against PCI-DSS, as SARIF" sh -c "$B check $EX/production.yaml --pack pci-dss --format sarif | head -20"
run "Evaluate a CEL expression" $B expr --vars '{"port": 5432}' -- 'port > 1024 && "10.0.0.1".startsWith("10.")'

# 5. The audit trail of everything above.
run "The audit log (every operation, reads and refusals included)" $B audit log --ns production/api
run "Sign a checkpoint now" $B audit checkpoint
run "Verify the whole log against its signed checkpoints" $B audit verify
