#!/usr/bin/env bash
# Installs what the build needs, each piece only when the right version is missing:
#   the wasm32 target, cargo-leptos 0.3.10, and wasm-bindgen-cli at the version in Cargo.lock.
# With "release": also wasm-opt (binaryen 132, from npm). With "e2e": also Chromium (Debian)
# and the Playwright runner (npm). Nothing is downloaded from outside the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

want_release=false
want_e2e=false
for arg in "$@"; do
  case "$arg" in
    release) want_release=true ;;
    e2e) want_e2e=true ;;
    *) echo "ensure-tools: unknown argument $arg" >&2; exit 2 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }

# The tools are built for this machine only, for a short build rather than fast code: without
# link-time optimisation, on 16 codegen units, unoptimised but for the few crates that do the
# heavy work at run time (compressing, splitting and rewriting the WebAssembly), which are
# built at opt-level 3. OpenSSL comes from the system when its headers are there, instead of
# being compiled from source. cargo-leptos then takes about 6 minutes on 2 cores instead of 22.
install_tool() {
  local hot="$1"
  shift
  local configs=()
  for crate in $hot; do
    configs+=(--config "profile.release.package.${crate}.opt-level=3")
  done
  local system_openssl=()
  pkg-config --exists openssl 2>/dev/null && system_openssl=(OPENSSL_NO_VENDOR=1)
  env "${system_openssl[@]}" CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0 cargo install "${configs[@]}" "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "installing cargo-leptos 0.3.10 (about 6 minutes on 2 cores, once)"
  install_tool "brotli brotli-decompressor alloc-no-stdlib alloc-stdlib miniz_oxide crc32fast \
    wasmparser wasm-encoder wasm_split_cli_support gimli" cargo-leptos --locked --version 0.3.10 --features no_downloads
fi

bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${bindgen_version}\$"; then
  say "installing wasm-bindgen-cli ${bindgen_version} (about 2 minutes, once)"
  # Only the `wasm-bindgen` program, without the test runner's TLS client.
  install_tool "walrus wasmparser wasm-encoder gimli id-arena leb128 wasm-bindgen-cli-support \
    wasm-bindgen-wasm-interpreter wasm-bindgen-externref-xform wasm-bindgen-multi-value-xform \
    wasm-bindgen-threads-xform wasm-bindgen-wasm-conventions" \
    wasm-bindgen-cli --version "=${bindgen_version}" --no-default-features --bin wasm-bindgen
fi

if $want_release && ! wasm-opt --version 2>/dev/null | grep -q 'version 132'; then
  say "installing wasm-opt (binaryen 132) from npm"
  npm install -g binaryen@132
fi

if $want_e2e; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Chromium from Debian"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/mailparser ]; then
    say "installing the Playwright runner"
    npm ci --prefix end2end --no-audit --no-fund
  fi
fi
