#!/usr/bin/env bash
# Back up taskbot's PostgreSQL database: one pg_dump custom-format file per run,
# older files pruned. Run from a systemd timer or cron (docs/deploy.md).
#
#   DATABASE_URL=postgresql://taskbot@db/taskbot BACKUP_DIR=/var/backups/taskbot \
#       KEEP_DAYS=30 scripts/backup.sh
#
# Prints the path of the new dump. The dump is written under a temporary name and
# renamed when complete, so a half-written file is never taken for a backup.
set -euo pipefail

url="${DATABASE_URL:-${TASKBOT_DB:-}}"
if [ -z "$url" ]; then
    echo "backup: set DATABASE_URL (or TASKBOT_DB) to the PostgreSQL URL" >&2
    exit 2
fi
url="${url/postgresql+psycopg:/postgresql:}"  # SQLAlchemy's driver suffix is not libpq's
dir="${BACKUP_DIR:-/var/backups/taskbot}"
keep="${KEEP_DAYS:-30}"
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$dir/taskbot-$stamp.dump"
pg_dump --format=custom --no-owner --no-privileges --file "$out.partial" --dbname "$url"
mv "$out.partial" "$out"
find "$dir" -maxdepth 1 -name 'taskbot-*.dump' -mtime "+$keep" -delete
echo "$out"
