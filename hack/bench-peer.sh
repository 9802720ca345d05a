#!/usr/bin/env bash
# Installs the benchmark PEER, Envoy Gateway (never part of Gantry), on the local cluster of
# hack/cluster-up.sh, as its own Helm chart installs it, so `npm run bench` measures it beside
# Gantry: its controller and its Envoys run as Pods played by the node agent, which must map the
# image `envoyproxy/gateway` to the binary hack/install-envoy-gateway.sh builds (its Envoy image
# `envoyproxy/envoy` already maps to hack/install-envoy.sh's Envoy) and give Pods the API server
# and Service names. Start the cluster for that with:
#
#   export GANTRY_NODE_AGENT_ARGS="--api-service --service-hosts \
#     --image envoyproxy/gateway=$(bash hack/install-envoy-gateway.sh | tail -n 1)"
#   npm run cluster:up      (with your GANTRY_NODE_* / GANTRY_CLUSTER_SERVICE_CIDR settings)
#   bash hack/bench-peer.sh
#
# What it does: applies EG's own CRDs (gateway.envoyproxy.io; the Gateway API CRDs are the
# cluster's), `helm install` of the module's charts/gateway-helm (values.tmpl.yaml filled in with
# the pinned image; its Gateway API CRD subchart and topology-injector webhook off), and a
# GatewayClass `eg-bench` for EG's controller. Remove with `bash hack/bench-peer.sh --uninstall`
# (cluster:down --purge removes everything anyway).
set -euo pipefail

# shellcheck source=hack/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
LOG_PREFIX=bench-peer

EG_VERSION="${EG_VERSION:-v1.9.1}"
EG_NAMESPACE=envoy-gateway-system
EG_CLASS=eg-bench
cluster_resolve_binaries
kubectl() { "$KUBE_BIN_DIR/kubectl" --kubeconfig "$CLUSTER_DIR/admin.kubeconfig" "$@"; }
helm() { "${GANTRY_HELM:-$(bash "$HACK_DIR/install-helm.sh" | tail -n 1)}" --kubeconfig "$CLUSTER_DIR/admin.kubeconfig" "$@"; }

[[ -s "$CLUSTER_DIR/admin.kubeconfig" ]] || die "no cluster in $CLUSTER_DIR (npm run cluster:up first)"

if [[ "${1:-}" == --uninstall ]]; then
  kubectl delete gatewayclass "$EG_CLASS" --ignore-not-found --wait=false
  helm uninstall eg --namespace "$EG_NAMESPACE" --wait --timeout 120s || true
  kubectl delete namespace "$EG_NAMESPACE" --ignore-not-found --timeout=120s || true
  exit 0
fi

agent_pid="$(cat "$CLUSTER_DIR/node-agent.pid" 2>/dev/null || true)"
[[ -n "$agent_pid" ]] && tr '\0' ' ' <"/proc/$agent_pid/cmdline" | grep -q -- "envoyproxy/gateway=" ||
  die "the node agent does not map envoyproxy/gateway: start the cluster with GANTRY_NODE_AGENT_ARGS as in this script's header"
tr '\0' ' ' <"/proc/$agent_pid/cmdline" | grep -q -- "--api-service" ||
  die "the node agent runs without --api-service: EG's Pods could not reach the API server"

eg_bin="$(bash "$HACK_DIR/install-envoy-gateway.sh" | tail -n 1)"
src="$(cd "$(mktemp -d)" && go mod download -json "github.com/envoyproxy/gateway@$EG_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$src/charts/gateway-helm" ]] || die "no charts/gateway-helm in the module"

work="$(mktemp -d "$CLUSTER_DIR/eg-chart.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp -r "$src/charts/gateway-helm" "$work/chart"
chmod -R u+w "$work/chart"
sed -e "s|\${GatewayImage}|docker.io/envoyproxy/gateway:$EG_VERSION|" -e 's|${GatewayImagePullPolicy}|IfNotPresent|' \
  "$work/chart/values.tmpl.yaml" >"$work/chart/values.yaml"

log "applying Envoy Gateway's CRDs (gateway.envoyproxy.io)"
kubectl apply --server-side --force-conflicts -f "$work/chart/charts/crds/crds/generated" >/dev/null
log "helm install eg ($EG_VERSION, controller image mapped to $eg_bin)"
helm upgrade --install eg "$work/chart" --namespace "$EG_NAMESPACE" --create-namespace \
  --set crds.enabled=false --set topologyInjector.enabled=false --wait --timeout 300s >&2

# Its Envoys log no access log (EG's default writes one to /dev/stdout, which a container of the
# node agent cannot open: its stdout is a socket, ENXIO; Gantry's Envoys log none by default).
kubectl apply -f - >/dev/null <<YAML
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata:
  name: bench
  namespace: $EG_NAMESPACE
spec:
  telemetry:
    accessLog:
      disable: true
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: $EG_CLASS
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef:
    group: gateway.envoyproxy.io
    kind: EnvoyProxy
    name: bench
    namespace: $EG_NAMESPACE
YAML
for _ in $(seq 1 120); do
  accepted="$(kubectl get gatewayclass "$EG_CLASS" -o 'jsonpath={.status.conditions[?(@.type=="Accepted")].status}' 2>/dev/null || true)"
  if [[ "$accepted" == True ]]; then
    log "GatewayClass $EG_CLASS Accepted by Envoy Gateway $EG_VERSION"
    exit 0
  fi
  sleep 1
done
kubectl -n "$EG_NAMESPACE" get pods -o wide >&2 || true
die "GatewayClass $EG_CLASS not Accepted after 120 s"
