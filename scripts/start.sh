#!/usr/bin/env bash
# The main command: installs what is missing, builds, and generates text from the default model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then
  set -- --prompt "Once upon a time" --max-tokens 64
fi
exec node cli/dist/main.js generate --model models/stories260K/stories260K.bin \
  --tokenizer models/stories260K/tok512.bin "$@"
