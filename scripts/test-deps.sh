#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: kcat (librdkafka's
# command-line client) from Debian's packages, and the npm packages of the kafkajs
# examples. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v kcat >/dev/null 2>&1 && ! command -v kafkacat >/dev/null 2>&1; then
  echo "test-deps: installing kcat from Debian's packages"
  SUDO=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null || true
  $SUDO apt-get install -y -qq kcat >/dev/null || $SUDO apt-get install -y -qq kafkacat >/dev/null
fi

if [ -f examples/kafkajs/package.json ] && [ ! -d examples/kafkajs/node_modules/kafkajs ]; then
  echo "test-deps: installing kafkajs (npm ci)"
  (cd examples/kafkajs && npm ci --no-audit --no-fund --loglevel=error)
fi
