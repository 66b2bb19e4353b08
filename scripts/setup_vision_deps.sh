#!/usr/bin/env bash
# System packages the vision engine needs at run time and in tests: the FFmpeg CLI (video and
# audio decoding) and unzip (model fetching), CMake and a C++ compiler to build CTranslate2 (the
# speech recogniser, compiled from source by the ct2rs crate), plus a CJK font (fonts-noto-cjk)
# that the ID-card OCR tests and benchmark draw synthetic cards with. Debian/Ubuntu; run as root.
# With --ocr-bench it also creates the Python venv .venv with rapidocr-onnxruntime, which the
# OCR benchmark runs for comparison.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need+=(ffmpeg)
command -v unzip >/dev/null || need+=(unzip)
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
ffmpeg -version | head -1
if [ "${1:-}" = "--ocr-bench" ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  [ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
  "$root/.venv/bin/pip" install --quiet rapidocr-onnxruntime==1.4.4
fi
