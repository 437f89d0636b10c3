# Sourced by the other scripts: picks the toolchain setup.sh chose for the wasm32 target.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TC=$(cat "$ROOT/target/.toolchain" 2>/dev/null || true)
if [ -n "$TC" ]; then export RUSTUP_TOOLCHAIN=$TC; fi
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
