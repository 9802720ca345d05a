#!/usr/bin/env bash
# The unit suites under Node.js 22 (hack/install-node.sh), whatever Node runs the rest: what the
# image runs must pass its tests. Needs a build (`npx tsc -b`) first; extra args go to jest.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE22="$(bash hack/install-node.sh | tail -n 1)"
echo "==> jest under $("$NODE22" --version) (unit suites)" >&2
# Suites that need no Envoy, API server or cluster.
suites=(
  packages/api/dist
  packages/ir/dist
  packages/translator/dist
  packages/xds/dist/translator
  packages/gatewayclass-controller/dist/cli
  packages/gatewayclass-controller/dist/manifests
  packages/gatewayclass-controller/dist/deployer/render
  packages/gatewayclass-controller/dist/deployer/parameters
  packages/gatewayclass-controller/dist/deployer/access-log
  packages/gatewayclass-controller/dist/metrics
  packages/gatewayclass-controller/dist/install-progress
)
results="$(mktemp)"
status=0
# Child processes the tests start (the gantry CLI) run under the same Node: process.execPath.
NODE_OPTIONS=--experimental-vm-modules "$NODE22" node_modules/jest/bin/jest.js --ci --json --outputFile="$results" "${suites[@]}" "$@" || status=$?
"$NODE22" -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest (Node ${process.versions.node}): ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$results" || true
rm -f "$results"
exit "$status"
