#!/usr/bin/env bash
# The test command: installs what the tests need (npm packages, a real Envoy) and runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/node-deps.sh

ensure_node_deps
# What a user runs after `npm ci`: the gantry command linked into node_modules/.bin.
if ! npx --no-install gantry --help >/dev/null 2>&1; then
  echo "npx gantry does not run after npm ci (is packages/gatewayclass-controller's bin linked?)" >&2
  exit 1
fi
# The node agent's network namespaces and bridges.
if ! command -v ip >/dev/null 2>&1; then
  echo "==> apt-get install iproute2" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >&2
fi
GANTRY_ENVOY="$(bash hack/install-envoy.sh | tail -n 1)"
export GANTRY_ENVOY
echo "==> envoy: $GANTRY_ENVOY" >&2

# The real control plane for integration tests: built from Go modules on a fresh machine (slow
# once, cached after), so the tests themselves never wait on a build.
echo "==> etcd, kube-apiserver, kube-controller-manager, Gateway API CRDs" >&2
GANTRY_KUBE_BIN_DIR="$(bash hack/install-kube.sh | tail -n 1)"
GANTRY_ETCD="$(bash hack/install-etcd.sh | tail -n 1)"
GANTRY_GATEWAY_API_CRDS="$(bash hack/install-gateway-api.sh | tail -n 2 | head -n 1)"
GANTRY_HELM="$(bash hack/install-helm.sh | tail -n 1)"
export GANTRY_KUBE_BIN_DIR GANTRY_ETCD GANTRY_GATEWAY_API_CRDS GANTRY_HELM

echo "==> generated code is up to date" >&2
bash hack/verify-generated.sh

echo "==> jest" >&2
results="$(mktemp)"
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --ci --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$results" || true
rm -f "$results"

# The unit suites again under Node.js 22, the LTS line the image runs (the machine's Node may be
# another): the suites that need no real binary or cluster (translators, CLI, manifests, deployer
# rendering, metrics), about 2 minutes. Only for the whole run, like conformance; GANTRY_NODE22=0
# skips it.
if (($# == 0)) && [[ "${GANTRY_NODE22:-1}" == 1 ]]; then
  bash hack/test-node22.sh || status=1
fi

# Gateway API conformance, the core tests of every claimed Gateway profile (HTTP, GRPC, TLS, TCP,
# UDP), on a throwaway local cluster (up, suite, down). Only for the whole run:
# `npm test -- <jest filter>` skips it, as does GANTRY_CONFORMANCE=0.
if (($# == 0)) && [[ "${GANTRY_CONFORMANCE:-1}" == 1 ]]; then
  echo "==> Gateway API conformance (core of GATEWAY-HTTP, -GRPC, -TLS, -TCP, -UDP; local cluster) and cluster checks" >&2
  bash e2e/conformance/ci.sh || status=1
  # Gantry installed and upgraded by Helm on a cluster of its own: rolls, discovery on and off.
  echo "==> helm install / helm upgrade (local cluster in Helm mode)" >&2
  bash e2e/helm-install/check.sh || status=1
fi
exit "$status"
