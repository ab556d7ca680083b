#!/usr/bin/env bash
# Lighthouse's mobile scores for a running release build of Kith (a measurement, not a test):
#   make run                       # in one terminal, or any Kith at BASE_URL
#   scripts/lighthouse.sh [BASE_URL]
# Installs Lighthouse 12.2.3 and its Playwright driver under scripts/lighthouse once (npm), and
# uses Debian's Chromium (CHROME_PATH to use another).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d scripts/lighthouse/node_modules/lighthouse ]; then
  npm ci --prefix scripts/lighthouse --no-audit --no-fund
fi
exec node scripts/lighthouse/run.mjs "$@"
