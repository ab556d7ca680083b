#!/usr/bin/env bash
# Runs the Playwright suite against the real server, started by cargo-leptos on a fresh
# database in a temporary folder, in the machine's headless Chromium. A second server on the
# same build runs without listeners, so tests can see what a stalled projection looks like.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

target_dir=${CARGO_TARGET_DIR:-$PWD/target}
export DATABASE_URL="$scratch/kith.sqlite3"
export KITH_OUTBOX="$scratch/outbox"
export KITH_MAIL_INTERVAL_MS=500
export LEPTOS_SITE_ADDR=127.0.0.1:3100
export KITH_BASE_URL=http://127.0.0.1:3100
export KITH_STALLED_URL=http://127.0.0.1:3101
export KITH_SERVER_BIN="$target_dir/debug/server"
export KITH_SITE_ROOT="$PWD/target/site"
export KITH_STALLED_DATABASE="$scratch/stalled.sqlite3"

cargo leptos end-to-end
