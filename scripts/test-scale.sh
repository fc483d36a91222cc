#!/usr/bin/env bash
# `make test-scale`: the app against a real streaming replica and through a real PgBouncer in
# transaction mode (README, "Scaling out: replicas and PgBouncer"). The servers are started by the
# plugin helpdesk.tests.scale.clusters in a temporary directory and stopped at the end; whatever
# DATABASE_URL says is not used. Needs PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup)
# and PgBouncer (Debian: apt-get install postgresql pgbouncer); without them the tests skip, and
# fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -p helpdesk.tests.scale.clusters -p no:cacheprovider --ds=helpdesk.settings_test -n 0 --create-db \
  helpdesk/tests/scale "$@"
