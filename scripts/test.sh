#!/usr/bin/env bash
# `make test`: run the whole suite on PostgreSQL, then on SQLite (DESIGN §10).
#
# PostgreSQL comes from DATABASE_URL when it names one; else the server on 127.0.0.1:5432; else a
# throwaway cluster started here with initdb/pg_ctl. If none can be had, the run stops with a
# message instead of silently testing SQLite alone.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PYTEST=(.venv/bin/pytest -p no:cacheprovider -n "${HELPDESK_TEST_WORKERS:-2}" --dist loadfile "$@")
targets="${HELPDESK_TEST_DATABASES:-postgres sqlite}"
status=0
cleanup=""

find_postgres() {
  if [[ "${DATABASE_URL:-}" == postgres* ]]; then echo "$DATABASE_URL"; return 0; fi
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 -t 3; then
    echo "postgres://postgres@127.0.0.1:5432/helpdesk"; return 0
  fi
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  local initdb pgctl
  initdb=$(command -v initdb || echo "${bindir}/initdb"); pgctl=$(command -v pg_ctl || echo "${bindir}/pg_ctl")
  if [ -x "$initdb" ] && [ -x "$pgctl" ]; then
    local dir; dir=$(mktemp -d /tmp/helpdesk-pg.XXXXXX)
    local runas=()
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; runas=(su postgres -s /bin/sh -c); fi
    if [ ${#runas[@]} -gt 0 ]; then
      "${runas[@]}" "$initdb -D $dir/data -U postgres --auth=trust -E UTF8" >/dev/null &&
      "${runas[@]}" "$pgctl -D $dir/data -l $dir/log -o '-p 55432 -k $dir -c listen_addresses=127.0.0.1' -w start" >/dev/null
    else
      "$initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null &&
      "$pgctl" -D "$dir/data" -l "$dir/log" -o "-p 55432 -k $dir -c listen_addresses=127.0.0.1" -w start >/dev/null
    fi
    if [ $? -eq 0 ]; then
      echo "postgres://postgres@127.0.0.1:55432/helpdesk"
      echo "$pgctl -D $dir/data -m fast stop" > "$dir/stop"
      echo "$dir" >&2
      return 0
    fi
  fi
  return 1
}

for target in $targets; do
  case "$target" in
    postgres)
      if ! url=$(find_postgres 2>/tmp/helpdesk-pg-dir); then
        echo "make test: no PostgreSQL found. Set DATABASE_URL=postgres://..., start a server on" >&2
        echo "127.0.0.1:5432, or install PostgreSQL (initdb/pg_ctl) so a throwaway cluster can be made." >&2
        exit 2
      fi
      echo "== tests on PostgreSQL (${url%%@*}@...)"
      DATABASE_URL="$url" "${PYTEST[@]}" || status=1
      ;;
    sqlite)
      echo "== tests on SQLite"
      DATABASE_URL="sqlite:///$(pwd)/var/test.sqlite3" "${PYTEST[@]}" || status=1
      ;;
  esac
done
exit $status
