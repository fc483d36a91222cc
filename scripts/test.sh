#!/usr/bin/env bash
# `make test`: run the whole suite on PostgreSQL, then on SQLite (DESIGN §10).
#
# PostgreSQL comes from DATABASE_URL when it names one; else the server on 127.0.0.1:5432; else a
# throwaway cluster started here with initdb/pg_ctl (and stopped again at the end). If none can
# be had, the run stops with a message instead of silently testing SQLite alone.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PYTEST=(.venv/bin/pytest -p no:cacheprovider -n "${HELPDESK_TEST_WORKERS:-2}" --dist loadfile "$@")
targets="${HELPDESK_TEST_DATABASES:-postgres sqlite}"
status=0
PG_URL=""
THROWAWAY=""

stop_throwaway() {
  [ -n "$THROWAWAY" ] || return 0
  local pgctl="$1"
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$pgctl -D $THROWAWAY/data -m fast stop" >/dev/null 2>&1
  else
    "$pgctl" -D "$THROWAWAY/data" -m fast stop >/dev/null 2>&1
  fi
  rm -rf "$THROWAWAY"
}

find_postgres() {
  if [[ "${DATABASE_URL:-}" == postgres* ]]; then PG_URL="$DATABASE_URL"; return 0; fi
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 -t 3; then
    PG_URL="postgres://postgres@127.0.0.1:5432/helpdesk"; return 0
  fi
  local bindir initdb pgctl port dir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  initdb=$(command -v initdb || echo "${bindir}/initdb")
  pgctl=$(command -v pg_ctl || echo "${bindir}/pg_ctl")
  [ -x "$initdb" ] && [ -x "$pgctl" ] || return 1
  port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  dir=$(mktemp -d /tmp/helpdesk-pg.XXXXXX)
  local start="$initdb -D $dir/data -U postgres --auth=trust -E UTF8 >/dev/null && \
    $pgctl -D $dir/data -l $dir/log -o '-p $port -k $dir -c listen_addresses=127.0.0.1' -w start >/dev/null"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir" 2>/dev/null || return 1
    su postgres -s /bin/sh -c "$start" || return 1
  else
    sh -c "$start" || return 1
  fi
  THROWAWAY="$dir"
  trap 'stop_throwaway "'"$pgctl"'"' EXIT
  echo "make test: started a throwaway PostgreSQL cluster on port $port (stopped at the end)"
  PG_URL="postgres://postgres@127.0.0.1:$port/helpdesk"
}

for target in $targets; do
  case "$target" in
    postgres)
      if ! find_postgres; then
        echo "make test: no PostgreSQL found. Set DATABASE_URL=postgres://..., start a server on" >&2
        echo "127.0.0.1:5432, or install PostgreSQL (initdb/pg_ctl) so a throwaway cluster can be made." >&2
        exit 2
      fi
      echo "== tests on PostgreSQL (${PG_URL##*@})"
      DATABASE_URL="$PG_URL" "${PYTEST[@]}" || status=1
      ;;
    sqlite)
      echo "== tests on SQLite"
      DATABASE_URL="sqlite:///$(pwd)/var/test.sqlite3" "${PYTEST[@]}" || status=1
      ;;
  esac
done
exit $status
