#!/usr/bin/env bash
# Builds the playground into dist/ (release, offline) and writes the size and speed report,
# dist-report.md: raw, gzip and brotli sizes of every file dist/ sends, plus the speed numbers
# the e2e suite measured (tests/e2e/perf.json: navigation → interactive, frame time with 200
# pods), when it has run.
# Usage: ./scripts/build-web.sh                 build, then report
#        ./scripts/build-web.sh --no-report     build only
#        ./scripts/build-web.sh --report-only   report on the dist/ already built
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
mode="${1:-}"
if [ "$mode" != "--report-only" ]; then
  setup_web
  trunk_env
  trunk build --release
fi
[ "$mode" = "--no-report" ] && exit 0
exec node scripts/size-report.mjs
