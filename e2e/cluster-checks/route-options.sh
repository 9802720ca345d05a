#!/usr/bin/env bash
# RouteOption on a running local cluster (`npm run cluster:up`), as a user meets it: an HTTPRoute
# served by an echo Deployment, then a RouteOption created after it that targets the route and
# adds a response header and rewrites the path. It takes effect through the Gateway's Envoy within
# a second, and its status lists the route (Accepted, Attached). Everything it creates lives in the
# namespace `routeoption-check`, deleted at the end. Exits non-zero, saying what was wrong.
#
# Usage: e2e/cluster-checks/route-options.sh   (GANTRY_CLUSTER_DIR picks the cluster)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=e2e/lib/checks.sh
source "$repo/e2e/lib/checks.sh"
running_cluster
NS=routeoption-check
start=$SECONDS

log() { echo "[route-options-check] $*" >&2; }
k() { "$kubectl" "$@"; }
fail() {
  log "FAILED: $*"
  k get routeoption,httproute -n "$NS" -o yaml >&2 || true
  exit 1
}
trap 'k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true' EXIT

k delete namespace "$NS" --ignore-not-found --wait=true --timeout=90s >/dev/null || fail "namespace $NS from a previous run does not go away"
k create namespace "$NS" >/dev/null
{
  echo_app "$NS" echo 1
  web_gateway "$NS"
  cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: $NS}
spec:
  parentRefs: [{name: web}]
  hostnames: [shop.example.com]
  rules: [{matches: [{path: {type: PathPrefix, value: /api}}], backendRefs: [{name: echo, port: 8080}]}]
YAML
} | k apply -f - >/dev/null
k rollout status -n "$NS" deployment/echo --timeout=120s >/dev/null || fail "echo not ready"
addr="$(gateway_address "$NS" web)"
get() { curl -s -i --max-time 3 -H 'Host: shop.example.com' "http://$addr$1"; }
deadline=$((SECONDS + 60))
until get /api/items | grep -q '"path": *"/api/items"'; do
  ((SECONDS < deadline)) || fail "the route is not served through the Gateway ($addr)"
  sleep 0.2
done
log "HTTPRoute shop served at $addr; the echo Pod sees /api/items"

k apply -f - >/dev/null <<YAML
apiVersion: gateway.gantry.dev/v1alpha1
kind: RouteOption
metadata: {name: shop-options, namespace: $NS}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: shop}]
  options:
    prefixRewrite: /v2
    headerManipulation:
      responseHeadersToAdd: [{header: {key: x-route-option, value: applied}}]
YAML
t0=$(date +%s%N)
until reply="$(get /api/items)" && grep -qi '^x-route-option: applied' <<<"$reply" && grep -q '"path": *"/v2/items"' <<<"$reply"; do
  (($(date +%s%N) - t0 < 10000000000)) || fail "the RouteOption did not take effect within 10 s"
  sleep 0.02
done
took_ms=$((($(date +%s%N) - t0) / 1000000))
((took_ms <= 1000)) || fail "the RouteOption took effect after ${took_ms} ms (target: 1 s)"
log "RouteOption created after the route took effect in ${took_ms} ms (path rewritten to /v2/items, response header added)"

deadline=$((SECONDS + 30))
until [[ "$(k get routeoption -n "$NS" shop-options -o jsonpath='{.status.ancestors[0].ancestorRef.name}')" == shop ]]; do
  ((SECONDS < deadline)) || fail "the RouteOption's status does not list HTTPRoute shop"
  sleep 0.2
done
[[ "$(k get routeoption -n "$NS" shop-options -o jsonpath='{.status.conditions[?(@.type=="Accepted")].status}')" == True ]] || fail "the RouteOption is not Accepted"
log "kubectl get routeoption -n $NS:"
k get routeoption -n "$NS" >&2
log "status.ancestors: $(k get routeoption -n "$NS" shop-options -o jsonpath='{.status.ancestors[0].ancestorRef.kind}/{.status.ancestors[0].ancestorRef.name} {range .status.ancestors[0].conditions[*]}{.type}={.status}/{.reason} {end}')"
log "passed in $((SECONDS - start))s"
