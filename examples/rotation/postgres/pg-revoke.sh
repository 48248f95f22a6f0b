#!/bin/sh
# Rotation hook (revoke): ends the role's sessions that began before this rotation's grace ended,
# i.e. the ones that logged in with the previous password (that password no longer works since
# the apply hook changed it). The previous value on stdin is not needed and is discarded.
#   BULWARK_PG_ADMIN_URL, BULWARK_PG_ROLE (hook env)
set -eu
cat >/dev/null
case "$BULWARK_PG_ROLE" in
  *[!a-z0-9_]*) echo "pg-revoke: unexpected role name" >&2; exit 2 ;;
esac
printf "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '%s' AND pid <> pg_backend_pid();\n" \
  "$BULWARK_PG_ROLE" | psql -X -q -v ON_ERROR_STOP=1 "$BULWARK_PG_ADMIN_URL" >/dev/null
