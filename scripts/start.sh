#!/usr/bin/env bash
# The main command: installs what is missing, builds, and serves the default model behind an
# OpenAI-compatible endpoint (nats-server, router, 1 prefill, 1 decode, gateway) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node cli/dist/main.js serve --prefill 1 --decode 1 "$@"
