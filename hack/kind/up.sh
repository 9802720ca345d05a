#!/usr/bin/env bash
# The kind path: a kind cluster with LoadBalancer support (cloud-provider-kind), the Gateway API
# v1.6.1 experimental CRDs, the controller image built from the repository's Dockerfile and loaded
# into the cluster, and charts/gantry-crds + charts/gantry installed with helm. Leaves kubectl's
# current context on the cluster (kind-gantry). Idempotent: a second run rebuilds the image (a
# new tag only when its content changed) and upgrades the releases.
#
# Usage: hack/kind/up.sh       then: hack/kind/conformance.sh, hack/kind/down.sh
# Needs: Docker, kubectl; kind and helm are built with Go when missing. Settings: hack/kind/lib.sh.
set -euo pipefail

# shellcheck source=hack/kind/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=kind-up

kind_tools
helm="${GANTRY_HELM:-$(bash "$HACK_DIR/install-helm.sh" | tail -n 1)}"

# 1. The cluster. The control-plane node is also the worker: it must accept LoadBalancer traffic.
if kind_cluster_exists; then
  log "kind cluster $KIND_CLUSTER exists"
else
  log "creating kind cluster $KIND_CLUSTER"
  node_image=()
  [[ -n "${GANTRY_KIND_NODE_IMAGE:-}" ]] && node_image=(--image "$GANTRY_KIND_NODE_IMAGE")
  "$KIND" create cluster --name "$KIND_CLUSTER" --config "$REPO_DIR/hack/kind/cluster.yaml" \
    --wait 120s "${node_image[@]}"
fi
"$KUBECTL" config use-context "$KIND_CONTEXT" >/dev/null
kind_kubectl label nodes --all node.kubernetes.io/exclude-from-external-load-balancers- >/dev/null 2>&1 || true

# 2. LoadBalancer addresses: cloud-provider-kind, one container per cluster name. Only that: its
# own Gateway API controller would install standard-channel CRDs over ours and claim Gateways, and
# its default ingress is not wanted either.
if [[ "$("$DOCKER" inspect -f '{{.State.Running}}' "$CLOUD_PROVIDER_CONTAINER" 2>/dev/null || true)" != true ]]; then
  "$DOCKER" rm -f "$CLOUD_PROVIDER_CONTAINER" >/dev/null 2>&1 || true
  log "starting cloud-provider-kind ($CLOUD_PROVIDER_IMAGE)"
  "$DOCKER" run -d --name "$CLOUD_PROVIDER_CONTAINER" --restart unless-stopped --network kind \
    -v /var/run/docker.sock:/var/run/docker.sock "$CLOUD_PROVIDER_IMAGE" \
    --gateway-channel=disabled --enable-default-ingress=false >/dev/null
fi

# 3. Gateway API CRDs: the same files as the local cluster (hack/install-gateway-api.sh).
crds="$(bash "$HACK_DIR/install-gateway-api.sh" | tail -n 2 | head -n 1)"
log "installing Gateway API experimental CRDs"
kind_kubectl apply --server-side --force-conflicts --field-manager=gantry-kind-up \
  -f "$crds/experimental" >/dev/null
kind_kubectl wait --for=condition=Established --timeout=60s \
  crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io >/dev/null

# 4. The controller image, tagged by content so an unchanged build changes nothing in the cluster.
log "building the controller image from the Dockerfile"
"$DOCKER" build -t gantry:kind "$REPO_DIR" >&2
image_id="$("$DOCKER" image inspect -f '{{.Id}}' gantry:kind)"
image_id="${image_id#sha256:}"
image="${GANTRY_KIND_IMAGE:-gantry:kind-${image_id:0:12}}"
"$DOCKER" tag gantry:kind "$image"
log "loading $image into the cluster"
"$KIND" load docker-image "$image" --name "$KIND_CLUSTER" >&2

# 5. The charts, as users install them (the local cluster renders the same chart, same release).
log "helm: charts/gantry-crds and charts/gantry (release $GANTRY_RELEASE in $GANTRY_NAMESPACE)"
"$helm" upgrade --install "$GANTRY_RELEASE-crds" "$REPO_DIR/charts/gantry-crds" \
  --kube-context "$KIND_CONTEXT" --namespace "$GANTRY_NAMESPACE" --create-namespace --wait >&2
values=()
# shellcheck disable=SC2206 # word splitting intended: a list of arguments
[[ -n "${GANTRY_KIND_VALUES:-}" ]] && values=(${GANTRY_KIND_VALUES})
"$helm" upgrade --install "$GANTRY_RELEASE" "$REPO_DIR/charts/gantry" \
  --kube-context "$KIND_CONTEXT" --namespace "$GANTRY_NAMESPACE" \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=IfNotPresent \
  "${values[@]}" --wait --timeout 5m >&2

kind_kubectl wait --for=condition=Accepted --timeout=120s "gatewayclass/$GANTRY_GATEWAY_CLASS" >/dev/null
log "ready in ${SECONDS}s: GatewayClass $GANTRY_GATEWAY_CLASS Accepted; kubectl context $KIND_CONTEXT"
log "conformance: hack/kind/conformance.sh   stop: hack/kind/down.sh"
