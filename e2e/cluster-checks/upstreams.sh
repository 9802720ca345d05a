#!/usr/bin/env bash
# Upstreams on a running local cluster (`npm run cluster:up`), as a user meets them: a kube
# Upstream in gantry-system selecting the v2 half of a Service's Pods (two Deployments, v1 and v2,
# behind one Service) serves traffic from those Pods only; `kubectl get upstreams -A` shows its
# type, Accepted and endpoint count; scaling the v2 Deployment changes the count. Everything it
# creates lives in the namespace `upstream-check` (and one Upstream and ReferenceGrant in
# gantry-system), deleted at the end. Exits non-zero, saying what was wrong, on any failure.
#
# Usage: e2e/cluster-checks/upstreams.sh   (KUBECONFIG and kubectl as cluster:up prints them;
#        GANTRY_CLUSTER_DIR picks the cluster, default .cache/cluster)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=e2e/lib/checks.sh
source "$repo/e2e/lib/checks.sh"
running_cluster
NS=upstream-check
start=$SECONDS

log() { echo "[upstreams-check] $*" >&2; }
fail() {
  log "FAILED: $*"
  "$kubectl" get upstreams -A -o wide >&2 || true
  "$kubectl" get pods -n "$NS" -o wide >&2 || true
  exit 1
}
k() { "$kubectl" "$@"; }

cleanup() {
  k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  k delete upstream -n gantry-system reviews-v2 reviews-all --ignore-not-found >/dev/null 2>&1 || true
  k delete referencegrant -n gantry-system routes-from-upstream-check --ignore-not-found >/dev/null 2>&1 || true
}
trap cleanup EXIT

log "Deployments reviews-v1 and reviews-v2 (2 Pods each) behind Service reviews; Upstreams in gantry-system"
# A previous run's namespace may still be terminating.
k delete namespace "$NS" --ignore-not-found --wait=true --timeout=90s >/dev/null || fail "namespace $NS from a previous run does not go away"
k create namespace "$NS" >/dev/null
{
  SERVICE=0 echo_app "$NS" reviews-v1 2 app=reviews version=v1
  SERVICE=0 echo_app "$NS" reviews-v2 2 app=reviews version=v2
  cat <<EOF
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: $NS}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 8080, targetPort: 3000}]
---
apiVersion: gateway.gantry.dev/v1alpha1
kind: Upstream
metadata: {name: reviews-v2, namespace: gantry-system}
spec:
  kube: {serviceName: reviews, serviceNamespace: $NS, servicePort: 8080, selector: {version: v2}}
---
apiVersion: gateway.gantry.dev/v1alpha1
kind: Upstream
metadata: {name: reviews-all, namespace: gantry-system}
spec:
  kube: {serviceName: reviews, serviceNamespace: $NS, servicePort: 8080}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: routes-from-upstream-check, namespace: gantry-system}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: $NS}]
  to: [{group: gateway.gantry.dev, kind: Upstream}]
---
EOF
  web_gateway "$NS"
  cat <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews, namespace: $NS}
spec:
  parentRefs: [{name: web}]
  hostnames: [reviews.example.com]
  rules:
    - backendRefs: [{group: gateway.gantry.dev, kind: Upstream, name: reviews-v2, namespace: gantry-system}]
EOF
} | k apply -f - >/dev/null

k rollout status -n "$NS" deployment/reviews-v1 --timeout=120s >/dev/null || fail "reviews-v1 did not become ready"
k rollout status -n "$NS" deployment/reviews-v2 --timeout=120s >/dev/null || fail "reviews-v2 did not become ready"
addr="$(gateway_address "$NS" web)"

# `kubectl get upstreams -A`: the row of an Upstream as TYPE ACCEPTED ENDPOINTS.
columns() { k get upstreams -A --no-headers | awk -v n="$1" '$1 == "gantry-system" && $2 == n {print $3, $4, $5}'; }
wait_columns() { # name want
  local deadline=$((SECONDS + 60)) got
  while :; do
    got="$(columns "$1")"
    [[ "$got" == "$2" ]] && return 0
    ((SECONDS < deadline)) || fail "upstream $1 shows '$got', expected '$2'"
    sleep 0.5
  done
}
wait_columns reviews-v2 "Kube True 2"
wait_columns reviews-all "Kube True 4"
log "kubectl get upstreams -A:"
k get upstreams -A >&2

log "traffic through the Gateway ($addr) reaches the v2 Pods only"
v2_pods="$(k get pods -n "$NS" -l version=v2 -o jsonpath='{.items[*].metadata.name}')"
declare -A seen=()
for _ in $(seq 1 40); do
  pod="$(curl -sS --max-time 5 -H 'Host: reviews.example.com' "http://$addr/" | sed -n 's/.*"pod": *"\([^"]*\)".*/\1/p')"
  [[ -n "$pod" ]] || fail "a request through the Gateway got no echo answer"
  [[ " $v2_pods " == *" $pod "* ]] || fail "request answered by $pod, which is not a v2 Pod ($v2_pods)"
  seen[$pod]=1
done
((${#seen[@]} == 2)) || fail "40 requests reached ${#seen[@]} v2 Pod(s), expected both: ${!seen[*]}"
log "40 requests answered by ${!seen[*]}"

log "scale reviews-v2 to 3: the count follows"
k scale -n "$NS" deployment/reviews-v2 --replicas=3 >/dev/null
k rollout status -n "$NS" deployment/reviews-v2 --timeout=120s >/dev/null || fail "reviews-v2 did not scale to 3 ready Pods"
wait_columns reviews-v2 "Kube True 3"
wait_columns reviews-all "Kube True 5"
log "scale reviews-v2 to 1"
k scale -n "$NS" deployment/reviews-v2 --replicas=1 >/dev/null
wait_columns reviews-v2 "Kube True 1"
wait_columns reviews-all "Kube True 3"
k get upstreams -A >&2
log "passed in $((SECONDS - start))s"
