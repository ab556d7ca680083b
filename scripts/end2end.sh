#!/usr/bin/env bash
# Runs the Playwright suite against the real server, started by cargo-leptos on a fresh
# database in a temporary folder, in the machine's headless Chromium. A second server on the
# same build runs without listeners, so tests can see what a stalled projection looks like.
# With KITH_E2E_POSTGRES set to a server URL (postgres://postgres@127.0.0.1:5432), both run on
# new PostgreSQL databases there instead, dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d)
databases=()
cleanup() {
  for database in "${databases[@]}"; do
    psql -d "${KITH_E2E_POSTGRES%/}/postgres" -qc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" || true
  done
  rm -rf "$scratch"
}
trap cleanup EXIT

target_dir=${CARGO_TARGET_DIR:-$PWD/target}
export DATABASE_URL="$scratch/kith.sqlite3"
export KITH_OUTBOX="$scratch/outbox"
export KITH_MAIL_INTERVAL_MS=500
# Every test signs up accounts of its own, all from this machine.
export KITH_SIGN_UPS_PER_ADDRESS=100000
export KITH_SIGN_UPS_PER_HOUR=100000
export LEPTOS_SITE_ADDR=127.0.0.1:3100
export KITH_BASE_URL=http://127.0.0.1:3100
export KITH_STALLED_URL=http://127.0.0.1:3101
export KITH_SERVER_BIN="$target_dir/debug/server"
export KITH_SITE_ROOT="$PWD/target/site"
export KITH_STALLED_DATABASE="$scratch/stalled.sqlite3"
if [ -n "${KITH_E2E_POSTGRES:-}" ]; then
  suffix=$(date +%s%N)
  databases=("kith_test_e2e_$suffix" "kith_test_e2e_stalled_$suffix")
  for database in "${databases[@]}"; do
    psql -d "${KITH_E2E_POSTGRES%/}/postgres" -qc "CREATE DATABASE \"$database\""
  done
  export DATABASE_URL="${KITH_E2E_POSTGRES%/}/${databases[0]}"
  export KITH_STALLED_DATABASE="${KITH_E2E_POSTGRES%/}/${databases[1]}"
fi

cargo leptos end-to-end --split
