#!/usr/bin/env bash
# Every test: formatting and lints, unit and integration tests (SQLite and PostgreSQL),
# then the real site and binary driven in Chromium. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "PostgreSQL"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
export GENOBRIDGE_TEST_POSTGRES=${GENOBRIDGE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}

step "cargo fmt --check"
if rustup run stable rustfmt --version >/dev/null 2>&1; then
  cargo +stable fmt --all -- --check
else
  echo "rustfmt not installed; skipped" >&2
fi

step "cargo clippy"
cargo clippy -q --workspace --exclude genobridge-frontend --all-targets -- -D warnings
cargo clippy -q -p genobridge-frontend --target wasm32-unknown-unknown -- -D warnings

step "cargo test (unit, integration, PostgreSQL)"
cargo test --workspace --exclude genobridge-frontend

step "build the site and the binary"
scripts/build.sh

step "independent validators"
npm run --silent validate
.venv/bin/python -m pytest -q validators

step "end-to-end in Chromium"
npm run --silent e2e
