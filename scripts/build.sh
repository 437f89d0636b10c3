#!/usr/bin/env bash
# Builds the site (wasm + CSS + assets) and the `genobridge` binary: the same steps
# `cargo leptos build` takes, done with plain cargo so CI needs no extra tool.
# Usage: scripts/build.sh [--release]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
PROFILE=debug; CARGO_PROFILE=(); WASM_PROFILE=debug; WASM_ARGS=()
if [ "${1:-}" = "--release" ]; then
  PROFILE=release; CARGO_PROFILE=(--release); WASM_PROFILE=wasm-release; WASM_ARGS=(--profile wasm-release)
fi
SITE=target/site
mkdir -p "$SITE/pkg"
cargo build -q -p genobridge-frontend --lib --target wasm32-unknown-unknown "${WASM_ARGS[@]}"
wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name genobridge \
  "target/wasm32-unknown-unknown/$WASM_PROFILE/genobridge_frontend.wasm"
if [ "$PROFILE" = release ] && command -v wasm-opt >/dev/null; then
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    -o "$SITE/pkg/genobridge_bg.wasm" "$SITE/pkg/genobridge_bg.wasm"
fi
tailwindcss -i style/tailwind.css -o "$SITE/pkg/genobridge.css" --minify >/dev/null 2>&1 \
  || tailwindcss -i style/tailwind.css -o "$SITE/pkg/genobridge.css" --minify
cp -r public/. "$SITE/" 2>/dev/null || true
LEPTOS_OUTPUT_NAME=genobridge LEPTOS_SITE_ROOT=$SITE LEPTOS_SITE_PKG_DIR=pkg \
  cargo build -q -p genobridge-server --bin genobridge "${CARGO_PROFILE[@]}"
echo "built target/$PROFILE/genobridge and $SITE" >&2
