#!/usr/bin/env bash
# Installs what the tests drive heshen with: the official Tencent Cloud clients
# (Python SDK, tccli, Node SDK) at the versions the wire spec was captured with, and the
# browser the page tests walk through: Debian's chromium (apt, as root) and npm playwright-core,
# and the synthetic voices that read digits for the read-aloud liveness tests: Debian's flite
# (English) and espeak-ng (Mandarin, by its pinyin voice).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check \
  "tencentcloud-sdk-python-common==3.1.195" \
  "tencentcloud-sdk-python-faceid==3.1.179" \
  "tccli==3.1.189.1" \
  "pycryptodome"

(cd tests/clients/node && npm ci --silent --no-audit --no-fund)

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v flite >/dev/null || need+=(flite)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
(cd tests/browser && npm ci --silent --no-audit --no-fund)
echo "test dependencies ready: .venv (python SDK, tccli), tests/clients/node/node_modules (node SDK), chromium + tests/browser/node_modules (playwright-core), flite, espeak-ng"
