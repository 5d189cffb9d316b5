#!/usr/bin/env bash
# Installs what pdserve needs on a Debian machine with Node and npm, then builds it.
# Idempotent: each step runs only when something is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the native build links or the services run.
#   libdnnl-dev  oneDNN, linked by the addon (measured against our GEMM kernels)
#   nats-server  the control plane that `pdserve serve` and the integration tests start
#   g++ make python3  node-gyp's toolchain
# With --test, also what only the tests use:
#   chromium     the status-page test drives it headless through playwright-core
deb_packages=(libdnnl-dev libucx-dev g++ make python3 nats-server)
if [ "${1:-}" = "--test" ]; then deb_packages+=(chromium); fi
missing=()
for p in "${deb_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages: install when the lockfile changed since the last install.
manifest_hash() { (cat package.json package-lock.json */package.json shared/*/package.json services/*/package.json 2>/dev/null || true) | sha1sum | cut -c1-40; }
if [ ! -d node_modules ] || [ "$(cat node_modules/.pdserve-lock 2>/dev/null)" != "$(manifest_hash)" ]; then
  echo "setup: installing npm packages"
  npm install --no-audit --no-fund
  manifest_hash > node_modules/.pdserve-lock
fi

bash scripts/build-native.sh
npx tsc -b
