#!/usr/bin/env bash
# Builds a release binary and measures it beside vcf2fhir (the Python peer) in one run.
# Usage: scripts/bench.sh [RECORDS]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
if ! .peer/bin/python -c "import vcf2fhir" >/dev/null 2>&1; then
  # vcf2fhir 0.1.1 needs pandas and numpy below 2 (peers.md).
  python3 -m venv .peer
  .peer/bin/pip install -q vcf2fhir==0.1.1 'pandas<2' 'numpy<2'
fi
cargo build -q --release -p genobridge-server --bin genobridge
target/release/genobridge bench --records "${1:-1000000}" --peer-python .peer/bin/python
