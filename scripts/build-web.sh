#!/usr/bin/env bash
# Builds the playground into dist/ (release, offline) and prints what the page sends: raw and
# gzip sizes of every file.
# Usage: ./scripts/build-web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_web
trunk build --release
echo "dist/ (bytes)            raw       gzip"
total_raw=0; total_gz=0
while IFS= read -r f; do
  raw=$(wc -c < "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-22s %10d %10d\n' "${f#dist/}" "$raw" "$gz"
done < <(find dist -type f | sort)
printf '%-22s %10d %10d\n' "total" "$total_raw" "$total_gz"
