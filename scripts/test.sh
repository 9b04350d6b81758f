#!/usr/bin/env bash
# Sets up and runs every test: formatting, lints, all Rust tests (unit, transcripts, properties),
# the engine built for wasm32, then the page: one release build into dist/ (with its size
# report) and the Playwright end-to-end tests against that same dist/ in Chromium.
# Usage: ./scripts/test.sh            (everything)
#        KUBEPLAY_SKIP_E2E=1 ./scripts/test.sh   (Rust only)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_rust
# A fresh clone builds everything once: incremental caches would only double the disk it needs.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
disk() { echo "   (disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free)"; }
disk

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace --quiet
disk
echo "== the engine, shell and kubectl build for wasm32-unknown-unknown"
cargo build --quiet --target wasm32-unknown-unknown -p kubeplay-engine -p kubeplay-shell -p kubeplay-kubectl
# On a fresh CI machine the debug builds are no longer needed: give their disk to the page's build.
if [ -n "${CI:-}" ]; then rm -rf target/debug target/wasm32-unknown-unknown/debug; disk; fi
if [ -z "${KUBEPLAY_SKIP_E2E:-}" ]; then
  setup_web
  setup_e2e
  echo "== the page: trunk build --release into dist/ (built once, reused by the e2e tests)"
  ./scripts/build-web.sh --no-report
  echo "== end-to-end tests (Playwright + Chromium) on dist/"
  (cd tests/e2e && npm test)
  echo "== size and speed report"
  ./scripts/build-web.sh --report-only
  disk
fi
echo "== all checks passed"
