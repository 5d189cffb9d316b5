#!/usr/bin/env bash
# The test command: installs what is missing, builds, lints, type-checks and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
npx biome check .
mapfile -t files < <(find native/dist shared/*/dist services/*/dist cli/dist loadtest/dist -name '*.test.js' 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then echo "test: no test files found" >&2; exit 1; fi
node --test --test-reporter=spec "$@" "${files[@]}"
