#!/usr/bin/env bash
# Runs the kafkajs walkthrough test (examples/kafkajs, `node --test`) against
# a freshly started broker. It builds nothing: `make test-node` builds
# bin/gregor first. The broker gets free 127.0.0.1 ports and a temporary data
# directory, and is killed when the test ends; the script exits with the
# test's status and prints the broker's log if the test failed.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${GREGOR_BIN:-bin/gregor}
if [ ! -x "$BIN" ]; then
  echo "test-node: $BIN not found; run 'make test-node' (it builds it)" >&2
  exit 2
fi
if [ ! -d examples/kafkajs/node_modules/kafkajs ]; then
  echo "test-node: kafkajs not installed; run 'make deps'" >&2
  exit 2
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
KAFKA_PORT=$(free_port)
HTTP_PORT=$(free_port)
RAFT_PORT=$(free_port)
DATA=$(mktemp -d)
LOG="$DATA/gregor.log"

"$BIN" serve --listen "127.0.0.1:$KAFKA_PORT" --advertise "127.0.0.1:$KAFKA_PORT" \
  --http "127.0.0.1:$HTTP_PORT" --controller-listen "127.0.0.1:$RAFT_PORT" \
  --data-dir "$DATA/data" >"$LOG" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

ready=""
for _ in $(seq 1 300); do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "test-node: gregor exited during start-up:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  if curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 ||
     (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "test-node: gregor did not become ready in 30s:" >&2
  cat "$LOG" >&2
  exit 1
fi

status=0
(cd examples/kafkajs && KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" node --test) || status=$?
if [ "$status" != 0 ]; then
  echo "test-node: the walkthrough test failed; broker log:" >&2
  tail -n 200 "$LOG" >&2
fi
exit "$status"
