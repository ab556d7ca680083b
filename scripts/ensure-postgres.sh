#!/usr/bin/env bash
# Makes sure PostgreSQL answers at 127.0.0.1:5432 for the tests (trust auth, user postgres):
# starts the cluster when it is stopped, installs Debian's PostgreSQL when it is absent, and
# fails (never skips) when none of that works. Then drops the test and benchmark databases
# that interrupted runs left behind (each test drops its own when it ends).
set -euo pipefail

host=127.0.0.1
port=5432
say() { printf '==> %s\n' "$*"; }
ready() { command -v pg_isready >/dev/null && pg_isready -q -h "$host" -p "$port" -t 5; }

drop_leftovers() {
  psql -h "$host" -p "$port" -U postgres -d postgres -Atc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'kith\_test\_%' OR datname LIKE 'kith\_bench\_%'" |
    while read -r name; do
      psql -h "$host" -p "$port" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
    done
}

if ready; then
  drop_leftovers
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null; then
  say "installing PostgreSQL (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR == 1 { print $1 " " $2 }')
if [ -z "$cluster" ]; then
  say "creating a PostgreSQL cluster"
  pg_createcluster 15 main -- --auth=trust >/dev/null
  cluster="15 main"
fi
say "starting PostgreSQL cluster $cluster"
# shellcheck disable=SC2086
pg_ctlcluster $cluster start || true

for _ in $(seq 1 30); do
  if ready; then
    drop_leftovers
    exit 0
  fi
  sleep 1
done
echo "ensure-postgres: PostgreSQL does not answer at $host:$port; the PostgreSQL tests cannot run" >&2
exit 1
