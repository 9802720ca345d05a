#!/usr/bin/env bash
# The quickstart: builds Gantry, installs Envoy, starts two echo backends and `gantry standalone`
# on the bundled example, and sends a request through the Gateway. Ctrl-C stops everything.
# QUICKSTART_ONCE=1 exits after the demonstration (used by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/node-deps.sh

ensure_node_deps
ENVOY="$(bash hack/install-envoy.sh | tail -n 1)"
EXAMPLE=packages/gatewayclass-controller/examples/quickstart
ECHO=packages/gatewayclass-controller/dist/examples/echo-backend.js

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node "$ECHO" --name echo-v1 --port 9001 & pids+=($!)
node "$ECHO" --name echo-v2 --port 9002 & pids+=($!)
node packages/gatewayclass-controller/bin/gantry.js standalone --dir "$EXAMPLE" --envoy "$ENVOY" \
  --listen-address 127.0.0.1 & pids+=($!)

echo "==> waiting for the Gateway on 127.0.0.1:8080" >&2
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null -H 'Host: www.example.com' http://127.0.0.1:8080/ 2>/dev/null; then break; fi
  sleep 0.5
done

show() {
  echo
  echo "\$ curl -s -H 'Host: www.example.com' http://127.0.0.1:8080$1"
  curl -sS -H 'Host: www.example.com' "http://127.0.0.1:8080$1"
}
show /hello
show /v2/hello
echo
echo "\$ curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: other.example' http://127.0.0.1:8080/"
curl -sS -o /dev/null -w '%{http_code}\n' -H 'Host: other.example' http://127.0.0.1:8080/

if [ "${QUICKSTART_ONCE:-0}" = 1 ]; then exit 0; fi
echo
echo "Gantry is serving $EXAMPLE. Edit the files there and the change reaches Envoy at once. Ctrl-C stops."
wait "${pids[2]}"
