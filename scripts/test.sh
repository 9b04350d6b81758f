#!/usr/bin/env bash
# Sets up and runs every test: formatting, lints, all Rust tests (unit, transcripts, properties),
# and the engine built for wasm32. Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_rust

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace --quiet
echo "== the engine, shell and kubectl build for wasm32-unknown-unknown"
cargo build --quiet --target wasm32-unknown-unknown -p kubeplay-engine -p kubeplay-shell -p kubeplay-kubectl
echo "== all checks passed"
