#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster for the store's tests and benchmarks.
#
#   scripts/pg-test-server.sh start   # initdb in a temp dir, start on 127.0.0.1:$PORT, create the db
#   scripts/pg-test-server.sh stop    # stop the server and delete the cluster
#   scripts/pg-test-server.sh url     # print the URL
#
# The cluster listens on 127.0.0.1 only, with trust authentication (tests only, never production),
# except for members of the role `bulwark_password_auth`, who must log in with a SCRAM password
# (the rotation tests check that an old password stops working and a new one works).
# initdb refuses to run as root, so as root the cluster is owned by and run as the `postgres`
# system user. Environment: BULWARK_PG_TEST_PORT (default 54329), BULWARK_PG_TEST_DIR (default
# ${TMPDIR:-/tmp}/bulwark-pg-test-$PORT), PG_BIN (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

PORT="${BULWARK_PG_TEST_PORT:-54329}"
DIR="${BULWARK_PG_TEST_DIR:-${TMPDIR:-/tmp}/bulwark-pg-test-${PORT}}"
DB=bulwark_test
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
fi
if [ ! -x "${PG_BIN}/initdb" ]; then
  echo "pg-test-server: no PostgreSQL binaries (install the 'postgresql' package)" >&2
  exit 1
fi

URL="postgresql://postgres@127.0.0.1:${PORT}/${DB}"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  if as_owner "${PG_BIN}/pg_ctl" -D "${DIR}/data" status >/dev/null 2>&1; then
    echo "pg-test-server: already running on port ${PORT}" >&2
  else
    rm -rf "${DIR}"
    mkdir -p "${DIR}"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "${DIR}"; fi
    as_owner "${PG_BIN}/initdb" -D "${DIR}/data" -U postgres --auth=trust -E UTF8 \
      --no-locale >"${DIR}/initdb.log" 2>&1 || { cat "${DIR}/initdb.log" >&2; exit 1; }
    as_owner "${PG_BIN}/pg_ctl" -D "${DIR}/data" -l "${DIR}/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p ${PORT} -k ${DIR} -c fsync=on" start >/dev/null ||
      { cat "${DIR}/server.log" >&2; exit 1; }
  fi
  # Password authentication for members of bulwark_password_auth (first matching line wins).
  local hba="${DIR}/data/pg_hba.conf"
  if ! as_owner grep -q '+bulwark_password_auth' "${hba}"; then
    as_owner sh -c "{ echo 'host all +bulwark_password_auth 127.0.0.1/32 scram-sha-256'; cat '${hba}'; } > '${hba}.new' && mv '${hba}.new' '${hba}'"
    as_owner "${PG_BIN}/pg_ctl" -D "${DIR}/data" reload >/dev/null
    sleep 1  # the reload is asynchronous
  fi
  as_owner "${PG_BIN}/psql" -h 127.0.0.1 -p "${PORT}" -U postgres -qtAc \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bulwark_password_auth') THEN CREATE ROLE bulwark_password_auth NOLOGIN; END IF; END\$\$" \
    postgres >/dev/null
  if ! as_owner "${PG_BIN}/psql" -h 127.0.0.1 -p "${PORT}" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='${DB}'" postgres | grep -q 1; then
    as_owner "${PG_BIN}/createdb" -h 127.0.0.1 -p "${PORT}" -U postgres "${DB}"
  fi
  echo "export BULWARK_TEST_PG_URL=${URL}"
}

stop() {
  if [ -d "${DIR}/data" ]; then
    as_owner "${PG_BIN}/pg_ctl" -D "${DIR}/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "${DIR}"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "${URL}" ;;
  *) echo "usage: $0 {start|stop|url}" >&2; exit 2 ;;
esac
