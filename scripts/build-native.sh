#!/usr/bin/env bash
# Builds the native addon with node-gyp against the local Node headers (no header download).
set -euo pipefail
cd "$(dirname "$0")/../native"
nodedir=""
for d in "$(dirname "$(dirname "$(node -p process.execPath)")")" /usr /usr/local; do
  if [ -f "$d/include/node/node_api.h" ]; then nodedir="$d"; break; fi
done
if [ -z "$nodedir" ]; then
  echo "build-native: no Node headers found (looked for include/node/node_api.h under the node prefix, /usr, /usr/local)" >&2
  exit 1
fi
jobs=$(nproc 2>/dev/null || echo 2)
# One build at a time in this checkout (parallel callers share native/build).
exec 9>"build/.lock" 2>/dev/null || { mkdir -p build; exec 9>"build/.lock"; }
flock 9
../node_modules/.bin/node-gyp configure --nodedir="$nodedir" --loglevel=warn >/dev/null
../node_modules/.bin/node-gyp build --nodedir="$nodedir" --loglevel=warn -j "$jobs" >/dev/null
