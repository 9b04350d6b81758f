#!/usr/bin/env bash
# Sets up the toolchain (first run only) and serves the playground at http://127.0.0.1:8080/.
# Usage: ./scripts/serve.sh [--port N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_web
trunk_env
exec trunk serve --release --address 127.0.0.1 "$@"
