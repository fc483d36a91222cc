#!/usr/bin/env bash
# `make reset-demo`: start the embedded demo desk afresh. Deletes only the SQLite database and the
# attachments that `make run` keeps in var/ (not the secret key, not the collected static files);
# the next `make run` migrates and seeds a new demo desk. It never touches a database named by
# DATABASE_URL, and asks first (CONFIRM=yes answers for it, e.g. in a script).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${DATABASE_URL:-}" ]; then
  echo "make reset-demo: DATABASE_URL is set; this only resets the embedded SQLite demo desk in var/. Nothing deleted." >&2
  exit 2
fi
VAR="${HELPDESK_VAR_DIR:-var}"
targets=()
for file in "$VAR/helpdesk.sqlite3" "$VAR/helpdesk.sqlite3-wal" "$VAR/helpdesk.sqlite3-shm" "$VAR/helpdesk.sqlite3-journal"; do
  [ -e "$file" ] && targets+=("$file")
done
# Attachments live under var/media unless HELPDESK_MEDIA_ROOT puts them elsewhere (then kept).
if [ -z "${HELPDESK_MEDIA_ROOT:-}" ] && [ -d "$VAR/media" ]; then
  targets+=("$VAR/media")
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "No demo desk to reset; \`make run\` creates one."
  exit 0
fi
echo "Stop \`make run\` first (Ctrl-C in its terminal). This deletes the demo desk and every change made to it:"
printf '  %s\n' "${targets[@]}"
if [ "${CONFIRM:-}" != "yes" ]; then
  if [ ! -t 0 ]; then
    echo "make reset-demo: not a terminal; run with CONFIRM=yes to delete. Nothing deleted." >&2
    exit 2
  fi
  read -r -p "Delete them? [y/N] " answer
  case "$answer" in
    y | Y | yes) ;;
    *) echo "Nothing deleted."; exit 1 ;;
  esac
fi
rm -rf -- "${targets[@]}"
echo "Demo desk deleted; \`make run\` sets up a new one."
