# shellcheck shell=bash disable=SC2034 # variables here are used by the scripts that source it
# Shared by the kind path's scripts (hack/kind/*.sh). Sourced, never executed.
#
# The kind path is the local cluster's twin for machines with Docker: the same Gateway API CRDs,
# the same charts (here installed with `helm install`, there rendered with `helm template`), the
# same release, namespace and GatewayClass (hack/lib/gantry-release.sh), the same conformance
# runner (e2e/conformance/run.sh with E2E_CLUSTER=kind).
#
# Env:
#   GANTRY_KIND_CLUSTER        kind cluster name (default gantry; kubectl context kind-<name>)
#   GANTRY_KIND_NODE_IMAGE     kind node image (default: kind's own default for its version)
#   GANTRY_KIND_CLOUD_PROVIDER_IMAGE  cloud-provider-kind image (LoadBalancer addresses)
#   GANTRY_KIND_IMAGE          the controller image built from the Dockerfile (default gantry:kind-<commit>)
#   GANTRY_KIND_VALUES         extra `helm install` arguments for charts/gantry
#   KIND, KUBECTL, DOCKER      the tools (default: on PATH; kind is built by hack/install-kind.sh if missing)

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=hack/lib/gantry-release.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/gantry-release.sh"

REPO_DIR="$(cd "$HACK_DIR/.." && pwd)"
KIND_CLUSTER="${GANTRY_KIND_CLUSTER:-gantry}"
KIND_CONTEXT="kind-$KIND_CLUSTER"
# cloud-provider-kind runs as a container next to the cluster's nodes (on the `kind` network, with
# the Docker socket): it gives every LoadBalancer Service an address reachable from this machine.
CLOUD_PROVIDER_IMAGE="${GANTRY_KIND_CLOUD_PROVIDER_IMAGE:-registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.12.0}"
CLOUD_PROVIDER_CONTAINER="$KIND_CLUSTER-cloud-provider-kind"

kind_tools() {
  DOCKER="${DOCKER:-docker}"
  command -v "$DOCKER" >/dev/null 2>&1 || die "the kind path needs Docker ($DOCKER not found); without it use the local cluster (npm run cluster:up)"
  if [[ -z "${KIND:-}" ]]; then
    KIND="$(command -v kind || true)"
    [[ -n "$KIND" ]] || KIND="$(bash "$HACK_DIR/install-kind.sh" | tail -n 1)"
  fi
  KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
  [[ -n "$KUBECTL" ]] || die "kubectl not found on PATH (or set KUBECTL)"
}

kind_kubectl() {
  "$KUBECTL" --context "$KIND_CONTEXT" "$@"
}

kind_cluster_exists() {
  "$KIND" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"
}
