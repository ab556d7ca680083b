# Kith's two commands:
#   make run    builds Kith (release) and serves it at http://127.0.0.1:3000 on the embedded
#               SQLite database under data/
#   make test   runs every test: formatting, clippy, unit and integration tests (the
#               integration tests twice: on SQLite, then on PostgreSQL at 127.0.0.1:5432), and
#               the Playwright end-to-end tests in headless Chromium
# Missing tools are installed first (see scripts/ensure-tools.sh).

.PHONY: run test lint unit postgres e2e

# The PostgreSQL server the integration tests run on in their second pass.
TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432

run:
	scripts/ensure-tools.sh release
	cargo leptos serve --release --precompress --split

test: lint unit postgres e2e

lint:
	scripts/ensure-tools.sh
	cargo fmt --all -- --check
	scripts/check-wasm-deps.sh
	cargo clippy --workspace --exclude frontend --all-targets --locked -- -D warnings
	cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown --locked -- -D warnings

unit:
	cargo test --workspace --exclude frontend --locked

postgres:
	scripts/ensure-postgres.sh
	KITH_TEST_POSTGRES=$(TEST_POSTGRES) cargo test -p server --test '*' --locked

e2e:
	scripts/ensure-tools.sh e2e
	scripts/end2end.sh
