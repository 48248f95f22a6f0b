#!/bin/sh
# Rotation hook (verification): logs in as the role with the password on stdin and runs SELECT 1.
#   BULWARK_PG_HOST, BULWARK_PG_PORT, BULWARK_PG_DB, BULWARK_PG_ROLE (hook env)
# The password goes to psql through a private temporary passfile (mode 0600), not argv; a
# passfile field escapes ':' and '\' with a backslash (the default password alphabet has ':').
set -eu
IFS= read -r pw || [ -n "$pw" ]
passfile=$(mktemp)
trap 'rm -f "$passfile"' EXIT
chmod 600 "$passfile"
esc=$(printf '%s' "$pw" | sed -e 's/[\\:]/\\&/g')  # printf is a builtin: pw never in argv
printf '%s:%s:%s:%s:%s\n' "$BULWARK_PG_HOST" "$BULWARK_PG_PORT" "$BULWARK_PG_DB" "$BULWARK_PG_ROLE" "$esc" > "$passfile"
out=$(PGPASSFILE="$passfile" psql -X -q -tA -w \
  "host=$BULWARK_PG_HOST port=$BULWARK_PG_PORT dbname=$BULWARK_PG_DB user=$BULWARK_PG_ROLE" \
  -c 'SELECT 1')
[ "$out" = 1 ]
