#!/usr/bin/env bash
# Builds heshen and runs it with its embedded defaults: SQLite and media under ./data,
# listening on 127.0.0.1:8080. On first start it prints a demo API key and RuleId.
# Extra arguments go to `heshen serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_vision_deps.sh >/dev/null
DATA_DIR="${HESHEN_DATA_DIR:-$PWD/data}"
if [ ! -f "$DATA_DIR/models/libonnxruntime.so.1.31.1" ]; then
  bash scripts/fetch_models.sh "$DATA_DIR/models" --convert
fi
cargo build --release --locked -p heshen
exec ./target/release/heshen --data-dir "$DATA_DIR" serve "$@"
