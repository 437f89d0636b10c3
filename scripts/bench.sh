#!/usr/bin/env bash
# Builds a release binary and measures it beside vcf2fhir (the Python peer) in one run.
# With --baseline COMMIT, the binary of that commit is built too (once; cached under
# ~/.cache/genobridge/baseline) and measured beside this one, alternating runs.
# Usage: scripts/bench.sh [--baseline COMMIT] [RECORDS]   (default 1,000,000 records)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
BASELINE=()
if [ "${1:-}" = "--baseline" ]; then
  sha=$(git rev-parse --short=12 "$2^{commit}")
  shift 2
  bin="$HOME/.cache/genobridge/baseline/$sha/genobridge"
  if [ ! -x "$bin" ]; then
    src="$HOME/.cache/genobridge/baseline/$sha/src"
    rm -rf "$src"
    mkdir -p "$(dirname "$src")"
    git archive --format=tar --prefix=src/ "$sha" | tar -x -C "$(dirname "$src")"
    # Same target folder as this checkout, built one after the other: only the
    # workspace's own crates are compiled again.
    (cd "$src" && CARGO_TARGET_DIR="$(readlink -f "$ROOT/target")" \
      cargo build -q --release -p genobridge-server --bin genobridge)
    cp "$(readlink -f "$ROOT/target")/release/genobridge" "$bin"
    rm -rf "$src"
  fi
  BASELINE=(--baseline "$bin")
fi
if ! .peer/bin/python -c "import vcf2fhir" >/dev/null 2>&1; then
  # vcf2fhir 0.1.1 needs pandas and numpy below 2 (peers.md).
  python3 -m venv .peer
  .peer/bin/pip install -q vcf2fhir==0.1.1 'pandas<2' 'numpy<2'
fi
cargo build -q --release -p genobridge-server --bin genobridge
target/release/genobridge bench --records "${1:-1000000}" --peer-python .peer/bin/python "${BASELINE[@]}"
