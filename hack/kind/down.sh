#!/usr/bin/env bash
# Deletes the kind cluster of hack/kind/up.sh and its cloud-provider-kind container (and the
# LoadBalancer containers that one started).
set -euo pipefail

# shellcheck source=hack/kind/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=kind-down

kind_tools
"$DOCKER" rm -f "$CLOUD_PROVIDER_CONTAINER" >/dev/null 2>&1 || true
if kind_cluster_exists; then
  "$KIND" delete cluster --name "$KIND_CLUSTER"
else
  log "no kind cluster $KIND_CLUSTER"
fi
# cloud-provider-kind names its load balancer containers after the cluster (kindccm-...) and
# labels them; with the provider gone nobody removes them.
mapfile -t leftovers < <("$DOCKER" ps -aq --filter "label=io.x-k8s.cloud-provider-kind.cluster=$KIND_CLUSTER" 2>/dev/null || true)
((${#leftovers[@]} == 0)) || "$DOCKER" rm -f "${leftovers[@]}" >/dev/null
log "removed"
