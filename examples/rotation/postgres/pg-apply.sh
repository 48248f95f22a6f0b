#!/bin/sh
# Rotation hook (apply / rollback): sets the role's password to the value on stdin.
#   BULWARK_PG_ADMIN_URL  libpq URL of an account allowed to ALTER ROLE (hook env)
#   BULWARK_PG_ROLE       the role whose password rotates (hook env)
# The password never appears in argv: psql reads the statement on stdin, written by the shell
# builtin printf. Bulwark's default password alphabet has no quote or backslash, so it is a
# valid SQL string literal; anything else is refused.
set -eu
IFS= read -r pw || [ -n "$pw" ]
case "$pw" in
  *\'* | *\\*) echo "pg-apply: the password contains a quote or a backslash" >&2; exit 2 ;;
esac
case "$BULWARK_PG_ROLE" in
  *[!a-z0-9_]*) echo "pg-apply: unexpected role name" >&2; exit 2 ;;
esac
printf "ALTER ROLE %s PASSWORD '%s';\n" "$BULWARK_PG_ROLE" "$pw" |
  psql -X -q -v ON_ERROR_STOP=1 "$BULWARK_PG_ADMIN_URL" >/dev/null
