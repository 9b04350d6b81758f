#!/usr/bin/env bash
# Installs what kubeplay's build and tests need, idempotently, from the package registries only
# (crates.io, npm, Debian). Sourced by serve.sh and test.sh; each function is a no-op when the
# tool is already there at the pinned version.
set -euo pipefail

KUBEPLAY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Pins: wasm-bindgen-cli must equal the wasm-bindgen crate pinned in Cargo.toml.
TRUNK_VERSION="0.21.14"
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$KUBEPLAY_ROOT/Cargo.toml")"
export PATH="$HOME/.cargo/bin:$KUBEPLAY_ROOT/.tools/node_modules/.bin:$PATH"

log() { printf '[setup] %s\n' "$*" >&2; }

setup_rust() {
  if ! command -v cargo >/dev/null; then
    log "cargo not found: this project needs a Rust toolchain (rustup)"; return 1
  fi
  if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  # The page's build recompiles the standard library (see trunk_env below).
  rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src
}

# The environment of `trunk build`/`trunk serve` only (never of native builds or tests). Size,
# issue 4: the standard library is rebuilt for the page with panic=immediate-abort, so neither
# std's panic machinery (message formatting, Location tables) nor our own panic messages are in
# the wasm: about 45 KiB of gzip. Behaviour is unchanged: with panic=abort a panic already killed
# the page and its message went nowhere (wasm32-unknown-unknown has no stderr). build-std and
# the panic strategy are unstable cargo/rustc features, hence RUSTC_BOOTSTRAP on a stable
# toolchain; the scope is the wasm target's own RUSTFLAGS, so build scripts and proc macros are
# built as usual.
#
# std's `optimize_for_size` feature picks its smaller algorithms (sorting, formatting) over
# the faster ones: 13 KiB less gzip, measured on the same commit (808.6 → 795.4 KiB).
#
# Inlining: with rustc's MIR inliner off (-Zinline-mir=no) and LLVM inlining only calls that
# cost nothing (-inline-threshold=0) a function called from many places stays one function;
# wasm-opt -Oz still inlines the tiny ones. Measured on the same commit, wasm gzip bytes:
# 834.9 K as before, 829.7 K without the MIR inliner, 824.9 K with the threshold too (and 819.1 K
# with index.html's extra wasm-opt passes). Speed: the e2e speed test, main's build and this
# one alternated three times each at load 4, gave the same numbers within the machine's noise
# (engine tick p95 26–34 ms main, 28–38 ms here; frame p95 14–16 ms main, 10–16 ms here).
trunk_env() {
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD="std,panic_abort"
  export CARGO_UNSTABLE_BUILD_STD_FEATURES="optimize_for_size"
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zinline-mir=no -Cllvm-args=-inline-threshold=0"
}

setup_trunk() {
  if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
    log "installing trunk $TRUNK_VERSION (first time only; several minutes)"
    cargo install --locked "trunk@$TRUNK_VERSION"
  fi
}

setup_wasm_bindgen() {
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (first time only; a few minutes)"
    # No --locked: its lockfile pins a crate version the registry lacks (see TOOLCHAIN.md).
    cargo install --force "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
  fi
}

setup_wasm_opt() {
  if ! "$KUBEPLAY_ROOT/.tools/node_modules/.bin/wasm-opt" --version >/dev/null 2>&1; then
    log "installing wasm-opt (npm binaryen) into .tools/"
    mkdir -p "$KUBEPLAY_ROOT/.tools"
    (cd "$KUBEPLAY_ROOT/.tools" && npm install --no-audit --no-fund --silent binaryen@132 >/dev/null)
  fi
}

# The e2e tests: Debian's Chromium (never a browser download) and playwright-core.
setup_e2e() {
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    log "installing Debian's chromium (first time only)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -d "$KUBEPLAY_ROOT/tests/e2e/node_modules/playwright-core" ]; then
    log "installing the e2e test dependencies (npm ci in tests/e2e)"
    (cd "$KUBEPLAY_ROOT/tests/e2e" && npm ci --no-audit --no-fund --silent)
  fi
}

setup_web() {
  setup_rust
  setup_trunk
  setup_wasm_bindgen
  setup_wasm_opt
}
