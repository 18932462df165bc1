#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 cluster on loopback, then remove the cluster.
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]  — the command sees TEST_DATABASE_URL.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL 15 not found in $PG_BIN (make test installs postgresql-15)." >&2
  exit 1
fi

workdir="$(mktemp -d /tmp/beta-training-pg.XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

as_pg=()
if [ "$(id -u)" = "0" ]; then
  # initdb refuses to run as root: the cluster belongs to an unprivileged user.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  chown postgres "$workdir"
  as_pg=(runuser -u postgres --)
fi

cleanup() {
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

"${as_pg[@]}" "$PG_BIN/initdb" -D "$workdir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Durability off: a test cluster is thrown away, and fsync makes it slow.
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -o \
  "-p $port -k $workdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
"$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres beta_training_test

export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/beta_training_test"
"$@"
