#!/usr/bin/env bash
# One idempotent set-up for a fresh machine: everything the build and the tests need.
# A second run only checks, so it takes seconds. Sourced by scripts/env.sh users.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# --- Debian packages --------------------------------------------------------------------
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v wasm-opt >/dev/null || need_apt+=(binaryen)
command -v psql >/dev/null || need_apt+=(postgresql-client)
if ! rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
  # rustup cannot download here; Debian's rustc-web ships a wasm32-capable rustc with its std sources.
  [ -x /usr/bin/rustc ] && /usr/bin/rustc --print target-list | grep -q wasm32-unknown-unknown \
    && [ -d /usr/lib/rustlib/src/rust/library ] && command -v rust-lld >/dev/null && [ -x /usr/bin/cargo-clippy ] \
    || need_apt+=(rustc-web cargo-web rust-web-src rust-web-llvm rust-web-clippy lld-22)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# --- Build cache ------------------------------------------------------------------------
# Every clone on this machine shares one cargo target dir, so a fresh clone (CI's) reuses
# the compiled dependencies instead of building the world again.
CACHE_TARGET=${GENOBRIDGE_TARGET_CACHE:-$HOME/.cache/genobridge/target}
if [ ! -e target ]; then
  mkdir -p "$CACHE_TARGET"
  ln -s "$CACHE_TARGET" target
fi

# --- The wasm32 build chain -------------------------------------------------------------
# Prefer the ordinary rustup target; fall back to Debian's rustc plus a std we build once.
TOOLCHAIN=""
debian_ready() { rustup toolchain list 2>/dev/null | grep -q '^debian-web' && ls /usr/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib >/dev/null 2>&1; }
if rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
  TOOLCHAIN=""
elif debian_ready; then
  TOOLCHAIN=debian-web
elif timeout 20 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  TOOLCHAIN=""
else
  TOOLCHAIN=debian-web
  WASM_LIB=/usr/lib/rustlib/wasm32-unknown-unknown/lib
  if ! ls "$WASM_LIB"/libstd-*.rlib >/dev/null 2>&1; then
    log "building the wasm32 standard library with Debian's rustc (once, ~1 min)"
    tmp=$(mktemp -d)
    (cd "$tmp" && /usr/bin/cargo init -q --lib --name wasmstd \
      && RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build -q --release \
         --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort)
    mkdir -p "$WASM_LIB"
    cp "$tmp"/target/wasm32-unknown-unknown/release/deps/*.rlib "$WASM_LIB"/
    rm -rf "$tmp"
  fi
  # rust-lld must be found by that rustc.
  if ! command -v rust-lld >/dev/null; then ln -sf "$(command -v ld.lld-22 || echo /usr/bin/ld.lld-22)" /usr/local/bin/rust-lld; fi
  rustup toolchain list | grep -q '^debian-web' || rustup toolchain link debian-web /usr
fi
mkdir -p "$ROOT/target"; echo "$TOOLCHAIN" > "$ROOT/target/.toolchain"
export RUSTUP_TOOLCHAIN=${TOOLCHAIN:-${RUSTUP_TOOLCHAIN:-}}
[ -z "$RUSTUP_TOOLCHAIN" ] && unset RUSTUP_TOOLCHAIN

# --- Rust tools -------------------------------------------------------------------------
# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WB_VERSION (~3 min, once)"
  # --locked fails here: the registry lacks the locked webpki-roots of 0.2.130.
  cargo install -q wasm-bindgen-cli --version "$WB_VERSION" --force
fi
# cargo-leptos, for `cargo leptos watch` while developing. Neither the run nor the test
# command needs it (scripts/build.sh drives cargo and wasm-bindgen directly), and it costs
# ~25 min of a 2-core machine to build, so it is opt-in: WITH_CARGO_LEPTOS=1 scripts/setup.sh.
# It needs rustc >= 1.96; no_downloads makes a missing tool an error instead of a download.
if [ -n "${WITH_CARGO_LEPTOS:-}" ] && ! cargo leptos --version >/dev/null 2>&1; then
  log "cargo install cargo-leptos 0.3.11 (~25 min, once)"
  cargo ${TOOLCHAIN:++$TOOLCHAIN} install -q cargo-leptos --version 0.3.11 --locked --features no_downloads
fi

# --- npm: Tailwind CLI, Playwright, validators ------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
# --- FHIR packages for the profile checker (npm pack: their r4.core dependency is not on npm)
for spec in hl7.fhir.uv.genomics-reporting@3.0.0 hl7.terminology.r4@7.0.1; do
  dir=".cache/fhir-packages/${spec%@*}"
  if [ ! -f "$dir/package/package.json" ]; then
    log "npm pack $spec"
    mkdir -p "$dir"
    (cd "$dir" && npm pack "$spec" --silent >/dev/null && tar xzf ./*.tgz && rm -f ./*.tgz)
  fi
done

# --- Python: the HL7 v2 judge (hl7apy), the server tests' MLLP peers (hl7, hl7apy) and
# OpenAPI judges (openapi-spec-validator, openapi-core) --------------------------------
# Installed again whenever validators/requirements.txt changes: the venv keeps a copy of
# the list it was installed from.
if ! cmp -s validators/requirements.txt .venv/requirements.installed \
  || ! .venv/bin/python -c "import hl7, hl7apy, pytest, prometheus_client, openapi_core, openapi_spec_validator" >/dev/null 2>&1; then
  log "python venv with validators/requirements.txt"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q -r validators/requirements.txt
  cp validators/requirements.txt .venv/requirements.installed
fi
log "ready (wasm toolchain: ${TOOLCHAIN:-rustup default})"
