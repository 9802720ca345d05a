#!/usr/bin/env bash
# CI's conformance step (hack/test.sh runs it last): a throwaway local cluster, the core tests of
# every Gateway profile Gantry claims (GATEWAY-HTTP, GATEWAY-GRPC, GATEWAY-TLS, GATEWAY-TCP,
# GATEWAY-UDP) against it, then the cluster checks (e2e/cluster-checks) on the same cluster, and
# the cluster torn down and purged whatever happens.
#
# Usage: e2e/conformance/ci.sh [run.sh OPTIONS]   (default: --core)
# Env:   GANTRY_CI_CLUSTER_DIR   state dir (default <repo>/.cache/ci-cluster, purged at the end)
#        everything hack/cluster-up.sh and run.sh read; GANTRY_NODE_BRIDGE and the ranges
#        default to gantryci0, 10.246.0.0/16 and 10.247.0.0/24, clear of `npm run cluster:up`'s
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
start=$SECONDS

export GANTRY_CLUSTER_DIR="${GANTRY_CI_CLUSTER_DIR:-$repo/.cache/ci-cluster}"
export GANTRY_CLUSTER_ETCD_NO_FSYNC=1 # a throwaway cluster
# Its own bridge and ranges, so that `npm test` also runs beside a `npm run cluster:up` cluster.
export GANTRY_NODE_BRIDGE="${GANTRY_NODE_BRIDGE:-gantryci0}"
export GANTRY_NODE_POD_CIDR="${GANTRY_NODE_POD_CIDR:-10.246.0.0/16}"
export GANTRY_NODE_LB_CIDR="${GANTRY_NODE_LB_CIDR:-10.247.0.0/24}"
# If this script is killed, the cluster's own watcher tears it down once this shell is gone.
export GANTRY_CLUSTER_OWNER_PID=$$

teardown() {
  local status=$?
  bash "$repo/hack/cluster-down.sh" --purge >/dev/null 2>&1 ||
    echo "[conformance-ci] warning: cluster-down failed (state in $GANTRY_CLUSTER_DIR)" >&2
  echo "[conformance-ci] conformance step: exit $status, $((SECONDS - start))s wall time (cluster up, suite, cluster down)" >&2
}
trap teardown EXIT

if [[ "$(id -u)" -ne 0 ]]; then
  # The node agent needs root for network namespaces and bridges: no Pods, no Gateways.
  echo "[conformance-ci] SKIPPED: not root, so the local cluster cannot run Pods" >&2
  trap - EXIT
  exit 0
fi
(($# > 0)) || set -- --core
# run.sh brings the cluster up (E2E_CLUSTER=local) and prints the report's summary.
status=0
E2E_CLUSTER=local bash "$here/run.sh" "$@" || status=$?
# What the suite does not cover, on the cluster it leaves up (Upstreams, ...).
bash "$repo/e2e/cluster-checks/run.sh" || status=1
exit "$status"
