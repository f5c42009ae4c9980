#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into an EMPTY database (create it first:
# createdb -O taskbot taskbot_restored). Stop the taskbot workers before restoring
# over the live database; see docs/deploy.md.
#
#   DATABASE_URL=postgresql://taskbot@db/taskbot_restored scripts/restore.sh FILE.dump
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: DATABASE_URL=postgresql://… scripts/restore.sh FILE.dump" >&2
    exit 2
fi
url="${DATABASE_URL:-${TASKBOT_DB:-}}"
if [ -z "$url" ]; then
    echo "restore: set DATABASE_URL (or TASKBOT_DB) to the PostgreSQL URL" >&2
    exit 2
fi
url="${url/postgresql+psycopg:/postgresql:}"
# One transaction: a restore that fails half-way leaves the database as it was.
pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname "$url" "$1"
echo "restored $1"
