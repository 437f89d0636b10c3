#!/usr/bin/env bash
# Sets up, builds, and serves GenoBridge at http://127.0.0.1:3000 on SQLite with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
source scripts/env.sh
exec target/debug/genobridge serve --config genobridge.toml --demo
