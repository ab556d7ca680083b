#!/usr/bin/env bash
# Fails if anything server-only would be compiled into the WebAssembly build.
set -euo pipefail
cd "$(dirname "$0")/.."

forbidden='^(sqlx|sqlx-.*|tokio|mio|hyper|axum|lettre|jsonschema|libsqlite3-sys|leptos_axum|argon2|ammonia|pulldown-cmark|chrono-tz|server)$'
crates=$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none --locked \
  | sed 's/ (\*)$//; s/ v[0-9].*$//' | sort -u)
leaked=$(grep -E "$forbidden" <<<"$crates" || true)
if [ -n "$leaked" ]; then
  echo "Server-only crates reach the WebAssembly build:" >&2
  echo "$leaked" >&2
  exit 1
fi
echo "WebAssembly build: $(wc -l <<<"$crates") crates, none of them server-only"
