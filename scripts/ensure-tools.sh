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

# The tools are built for this machine only: without link-time optimisation, on 16 codegen
# units, at opt-level 1 (cargo-leptos 13 minutes instead of 22 on 2 cores; both run the same).
install_tool() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "installing cargo-leptos 0.3.10 (about 13 minutes on 2 cores, once)"
  install_tool cargo-leptos --locked --version 0.3.10 --features no_downloads
fi

bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${bindgen_version}\$"; then
  say "installing wasm-bindgen-cli ${bindgen_version} (about 3 minutes, once)"
  install_tool wasm-bindgen-cli --version "=${bindgen_version}"
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
