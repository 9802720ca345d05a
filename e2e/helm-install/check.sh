#!/usr/bin/env bash
# Gantry installed by Helm on a throwaway local cluster, end to end, the way a user installs and
# changes it: `hack/cluster-up.sh` in Helm mode (GANTRY_CLUSTER_INSTALL=helm: `helm install` of
# charts/gantry-crds with the Gateway API CRDs and of charts/gantry; the node agent runs the
# controller Deployment's Pod from the working tree's build), then
#   1. both releases deployed, the controller Pod Running and Ready as the chart's ServiceAccount
#      (in-cluster config: projected token, KUBERNETES_SERVICE_HOST), the GatewayClass Accepted;
#   2. an echo Deployment + Service, a Gateway and an HTTPRoute: traffic through the Gateway's Envoy;
#   3. `helm upgrade --reuse-values --set logLevel=debug`: the controller Pod rolls, requests sent
#      all through the roll keep being answered, and a route added afterwards is served (the new
#      Pod programs Envoy);
#   4. `helm upgrade -f values.yaml`: the values file replaces the earlier --set, the Pod rolls
#      again with the file's settings, traffic still flows;
#   5. discovery, as docs/upstreams.md walks it: installed without it, no Upstream; `helm upgrade
#      --reuse-values --set discovery.enabled=true` and the Service's Upstream appears within 2 s;
#      an HTTPRoute in the app namespace (with a ReferenceGrant) to it serves traffic; `helm
#      upgrade --reuse-values --set discovery.enabled=false` removes it (the hook Job) and the
#      route says BackendNotFound.
# It assumes no cluster of its own is running, starts one in its own state dir, and tears it down
# and purges it whatever happens (also if killed: the cluster's reaper watches this shell).
#
# Usage: e2e/helm-install/check.sh     (root: the node agent needs network namespaces)
# Env:   GANTRY_HELM_CHECK_DIR   state dir (default <repo>/.cache/helm-install-cluster)
#        GANTRY_NODE_BRIDGE, GANTRY_NODE_POD_CIDR, GANTRY_NODE_LB_CIDR, GANTRY_CLUSTER_SERVICE_CIDR
#        default to gantryhi0, 10.248.0.0/16, 10.249.0.0/24 and 10.249.16.0/20: clear of
#        `npm run cluster:up` (gantry0, 10.244/10.245, Services 10.96/16) and of CI's conformance
#        cluster (gantryci0, 10.246/10.247), so it runs beside either. The node agent must serve
#        ClusterIPs (Envoy reaches the xDS Service by its ClusterIP): --no-cluster-ips in
#        GANTRY_NODE_AGENT_ARGS is dropped; the own Service range is what keeps that clash-free.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=e2e/lib/checks.sh
source "$repo/e2e/lib/checks.sh"
start=$SECONDS
log() { echo "[helm-install-check] $*" >&2; }

export GANTRY_CLUSTER_DIR="${GANTRY_HELM_CHECK_DIR:-$repo/.cache/helm-install-cluster}"
export GANTRY_CLUSTER_INSTALL=helm
export GANTRY_CLUSTER_ETCD_NO_FSYNC=1 # a throwaway cluster
export GANTRY_NODE_BRIDGE="${GANTRY_NODE_BRIDGE:-gantryhi0}"
export GANTRY_NODE_POD_CIDR="${GANTRY_NODE_POD_CIDR:-10.248.0.0/16}"
export GANTRY_NODE_LB_CIDR="${GANTRY_NODE_LB_CIDR:-10.249.0.0/24}"
export GANTRY_CLUSTER_SERVICE_CIDR="${GANTRY_CLUSTER_SERVICE_CIDR:-10.249.16.0/20}"
agent_args=" ${GANTRY_NODE_AGENT_ARGS:-} "
export GANTRY_NODE_AGENT_ARGS="${agent_args// --no-cluster-ips / }"
unset GANTRY_LOCAL_VALUES
# If this script is killed, the cluster's reaper tears it down once this shell is gone.
export GANTRY_CLUSTER_OWNER_PID=$$

if [[ "$(id -u)" -ne 0 ]]; then
  log "SKIPPED: not root, so the local cluster cannot run Pods"
  exit 0
fi
if [[ -e "$GANTRY_CLUSTER_DIR" ]]; then
  log "error: $GANTRY_CLUSTER_DIR exists (a cluster of an earlier run?); stop it with"
  log "       GANTRY_CLUSTER_DIR=$GANTRY_CLUSTER_DIR bash hack/cluster-down.sh --purge"
  exit 1
fi

teardown() {
  local status=$?
  [[ -n "${traffic_pid:-}" ]] && kill "$traffic_pid" 2>/dev/null
  if ((status != 0)); then
    log "FAILED after $((SECONDS - start))s; cluster state:"
    k get pods -A -o wide >&2 2>/dev/null || true
    k get gateway,httproute -A >&2 2>/dev/null || true
    k -n gantry-system logs deployment/gantry --tail=30 >&2 2>/dev/null || true
  fi
  bash "$repo/hack/cluster-down.sh" --purge >/dev/null 2>&1 ||
    log "warning: cluster-down failed (state in $GANTRY_CLUSTER_DIR)"
  log "exit $status; $((SECONDS - start))s wall time (cluster up, checks, cluster down)"
}
trap teardown EXIT

fail() {
  log "FAILED: $*"
  exit 1
}

kubectl="$(bash "$repo/hack/install-kube.sh" | tail -n 1)/kubectl"
helm="${GANTRY_HELM:-$(bash "$repo/hack/install-helm.sh" | tail -n 1)}"
export GANTRY_HELM="$helm"
k() { "$kubectl" --kubeconfig "$GANTRY_CLUSTER_DIR/admin.kubeconfig" "$@"; }
h() { "$helm" --kubeconfig "$GANTRY_CLUSTER_DIR/admin.kubeconfig" "$@"; }
NS=helm-check

# --- the cluster, Gantry installed by Helm ---------------------------------------------------------
t0=$SECONDS
log "hack/cluster-up.sh with GANTRY_CLUSTER_INSTALL=helm (bridge $GANTRY_NODE_BRIDGE, Services $GANTRY_CLUSTER_SERVICE_CIDR)"
bash "$repo/hack/cluster-up.sh" >"$GANTRY_CLUSTER_DIR.up.log" 2>&1 || {
  tail -n 40 "$GANTRY_CLUSTER_DIR.up.log" >&2
  rm -f "$GANTRY_CLUSTER_DIR.up.log"
  fail "cluster-up failed"
}
rm -f "$GANTRY_CLUSTER_DIR.up.log"
up_s=$((SECONDS - t0))
log "cluster up with Gantry installed by helm in ${up_s}s"

for release in gantry-crds gantry; do
  status="$(h status "$release" -n gantry-system -o json | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p' | head -n 1)"
  [[ "$status" == deployed ]] || fail "helm release $release is '$status', expected deployed"
done
k get crd gateways.gateway.networking.k8s.io -o jsonpath='{.metadata.annotations.meta\.helm\.sh/release-name}' |
  grep -qx gantry-crds || fail "the Gateway API CRDs are not the gantry-crds release's"

# The controller Pods that run and are not being deleted.
controller_pod() {
  k -n gantry-system get pods -l app.kubernetes.io/name=gantry,app.kubernetes.io/component=controller \
    -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.metadata.deletionTimestamp}{"\n"}{end}' |
    awk '$2 == "Running" && $3 == "" {print $1}'
}
check_controller_pod() { # pod
  local pod="$1" field
  field() { k -n gantry-system get pod "$pod" -o jsonpath="$1"; }
  [[ "$(field '{.status.conditions[?(@.type=="Ready")].status}')" == True ]] || fail "controller Pod $pod not Ready"
  [[ "$(field '{.spec.serviceAccountName}')" == gantry ]] || fail "controller Pod $pod does not run as ServiceAccount gantry"
  [[ "$(field '{.status.containerStatuses[0].imageID}')" == gantry-local://*node ]] ||
    fail "controller Pod $pod runs $(field '{.status.containerStatuses[0].imageID}'), not the working tree's build"
  field '{.spec.volumes[*].projected.sources[*].serviceAccountToken.path}' | grep -qw token ||
    fail "controller Pod $pod has no projected ServiceAccount token"
  # The controller found its API server in-cluster: the Pod's own log says it became leader (a
  # Lease write with the ServiceAccount's token through the `kubernetes` ClusterIP). After a roll
  # that can take until the old Pod's Lease is released or expires.
  local deadline=$((SECONDS + 60))
  until k -n gantry-system logs "$pod" 2>/dev/null | grep -q '"became leader"'; do
    ((SECONDS < deadline)) || fail "controller Pod $pod did not become leader within 60s"
    sleep 0.5
  done
}
pod="$(controller_pod)"
[[ -n "$pod" && "$pod" != *$'\n'* ]] || fail "expected one running controller Pod, got: ${pod:-none}"
check_controller_pod "$pod"
k wait --for=condition=Accepted --timeout=60s gatewayclass/gantry >/dev/null || fail "GatewayClass gantry not Accepted"
log "releases deployed; controller Pod $pod Ready as ServiceAccount gantry (image gantry:$(h show chart "$repo/charts/gantry" | sed -n 's/^appVersion: *"*\([^"]*\)"*/\1/p') -> working tree); GatewayClass Accepted"

# --- a Gateway serving traffic ------------------------------------------------------------------------
k create namespace "$NS" >/dev/null
{
  echo_app "$NS" echo 1
  web_gateway "$NS"
  cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: one, namespace: $NS}
spec:
  parentRefs: [{name: web}]
  hostnames: [one.example.com]
  rules: [{backendRefs: [{name: echo, port: 8080}]}]
YAML
} | k apply -f - >/dev/null
t0=$SECONDS
k -n "$NS" rollout status deployment/echo --timeout=120s >/dev/null || fail "echo Deployment not ready"
addr="$(gateway_address "$NS" web)"

# answered HOST : one request through the Gateway answered by the echo Pod.
answered() { curl -sS --max-time 3 -H "Host: $1" "http://$addr/" 2>/dev/null | grep -q '"namespace": *"'"$NS"'"'; }
wait_answered() { # host seconds
  local deadline=$((SECONDS + $2))
  until answered "$1"; do
    ((SECONDS < deadline)) || fail "no answer for Host $1 through the Gateway ($addr) after $2s"
    sleep 0.2
  done
}
wait_answered one.example.com 60
for _ in $(seq 1 20); do answered one.example.com || fail "a request through the Gateway failed"; done
log "Gateway web Programmed at $addr; 20/20 requests answered by the echo Pod ($((SECONDS - t0))s from apply)"

# A request loop in the background; the count of failures tells whether traffic ever stopped.
start_traffic() {
  : >"$GANTRY_CLUSTER_DIR/traffic.log"
  (while :; do
    if answered one.example.com; then echo ok; else echo fail; fi
    sleep 0.05
  done >>"$GANTRY_CLUSTER_DIR/traffic.log") &
  traffic_pid=$!
}
stop_traffic() { # what
  kill "$traffic_pid" 2>/dev/null
  wait "$traffic_pid" 2>/dev/null || true
  traffic_pid=""
  local ok failed
  ok="$(grep -c '^ok$' "$GANTRY_CLUSTER_DIR/traffic.log" || true)"
  failed="$(grep -c '^fail$' "$GANTRY_CLUSTER_DIR/traffic.log" || true)"
  ((ok > 0)) || fail "no request answered during $1"
  ((failed == 0)) || fail "$failed of $((ok + failed)) requests failed during $1"
  log "$ok/$ok requests answered during $1"
}
wait_rolled() { # old-pod what
  local deadline=$((SECONDS + 120)) pods
  while :; do
    pods="$(controller_pod)"
    if [[ -n "$pods" && "$pods" != *$'\n'* && "$pods" != "$1" ]] && ! k -n gantry-system get pod "$1" >/dev/null 2>&1; then
      printf '%s\n' "$pods"
      return 0
    fi
    ((SECONDS < deadline)) || fail "the controller Pod did not roll after $2 (Pods: $pods)"
    sleep 0.5
  done
}
controller_arg() { k -n gantry-system get pod "$1" -o jsonpath='{.spec.containers[0].args}' | tr ',' '\n' | grep -c -- "$2" || true; }

# --- helm upgrade --reuse-values --set ----------------------------------------------------------------
log "helm upgrade gantry charts/gantry -n gantry-system --reuse-values --set logLevel=debug"
start_traffic
t0=$SECONDS
h upgrade gantry "$repo/charts/gantry" -n gantry-system --reuse-values --set logLevel=debug --wait --timeout 120s >/dev/null ||
  fail "helm upgrade --reuse-values failed"
new="$(wait_rolled "$pod" "helm upgrade --set")"
roll_s=$((SECONDS - t0))
sleep 1
stop_traffic "the roll"
check_controller_pod "$new"
(($(controller_arg "$new" '--log-level=debug') == 1)) || fail "the new controller Pod has no --log-level=debug"
h get values gantry -n gantry-system -o yaml | grep -qx 'logLevel: debug' || fail "helm get values has no logLevel: debug"
log "controller Pod rolled $pod -> $new in ${roll_s}s (--log-level=debug)"
# The new Pod programs Envoy: a route added now is served.
k apply -f - >/dev/null <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: two, namespace: $NS}
spec:
  parentRefs: [{name: web}]
  hostnames: [two.example.com]
  rules: [{backendRefs: [{name: echo, port: 8080}]}]
YAML
t0=$SECONDS
wait_answered two.example.com 30
log "HTTPRoute two, added after the roll, served in $((SECONDS - t0))s"
pod="$new"

# --- helm upgrade -f values.yaml ----------------------------------------------------------------------
values="$GANTRY_CLUSTER_DIR/values.yaml"
cat >"$values" <<'YAML'
logLevel: verbose
podLabels:
  gantry.dev/check: values-file
YAML
log "helm upgrade gantry charts/gantry -n gantry-system -f values.yaml (logLevel: verbose, a Pod label)"
start_traffic
t0=$SECONDS
h upgrade gantry "$repo/charts/gantry" -n gantry-system -f "$values" --wait --timeout 120s >/dev/null || fail "helm upgrade -f failed"
new="$(wait_rolled "$pod" "helm upgrade -f")"
roll2_s=$((SECONDS - t0))
sleep 1
stop_traffic "the second roll"
check_controller_pod "$new"
(($(controller_arg "$new" '--log-level=verbose') == 1)) || fail "the controller Pod has no --log-level=verbose"
[[ "$(k -n gantry-system get pod "$new" -o jsonpath='{.metadata.labels.gantry\.dev/check}')" == values-file ]] ||
  fail "the controller Pod lacks the values file's label"
h get values gantry -n gantry-system -o yaml | grep -q 'logLevel: debug' && fail "the earlier --set logLevel=debug survived a plain -f upgrade"
wait_answered two.example.com 30
log "controller Pod rolled $pod -> $new in ${roll2_s}s with the values file's settings; both routes served"

# --- discovery on and off -----------------------------------------------------------------------------
upstream="$NS-echo-8080"
discovered() { k -n gantry-system get upstreams -l gantry.dev/discovered-by=discovery -o name; }
[[ -z "$(discovered)" ]] || fail "Upstreams exist before discovery was enabled: $(discovered)"
log "helm upgrade gantry charts/gantry -n gantry-system --reuse-values --set discovery.enabled=true"
h upgrade gantry "$repo/charts/gantry" -n gantry-system --reuse-values --set discovery.enabled=true --wait --timeout 120s >/dev/null ||
  fail "helm upgrade --set discovery.enabled=true failed"
new="$(wait_rolled "$pod" "helm upgrade --set discovery.enabled=true")"
pod="$new"
t0=$(date +%s%N)
deadline=$((SECONDS + 30))
until k -n gantry-system get upstream "$upstream" >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "Upstream $upstream not created by discovery within 30s"
  sleep 0.1
done
appeared_ms=$((($(date +%s%N) - t0) / 1000000))
((appeared_ms <= 2000)) || fail "Upstream $upstream appeared ${appeared_ms} ms after the roll (target: 2 s)"
log "Upstream $upstream created ${appeared_ms} ms after the upgraded controller Pod ran; kubectl get upstreams -n gantry-system:"
k -n gantry-system get upstreams >&2
k apply -f - >/dev/null <<YAML
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: routes-from-$NS, namespace: gantry-system}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: $NS}]
  to: [{group: gateway.gantry.dev, kind: Upstream}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: three, namespace: $NS}
spec:
  parentRefs: [{name: web}]
  hostnames: [three.example.com]
  rules: [{backendRefs: [{group: gateway.gantry.dev, kind: Upstream, name: $upstream, namespace: gantry-system}]}]
YAML
wait_answered three.example.com 30
log "HTTPRoute three to the discovered Upstream served"
log "helm upgrade gantry charts/gantry -n gantry-system --reuse-values --set discovery.enabled=false"
h upgrade gantry "$repo/charts/gantry" -n gantry-system --reuse-values --set discovery.enabled=false --wait --timeout 120s >/dev/null ||
  fail "helm upgrade --set discovery.enabled=false failed"
[[ -z "$(discovered)" ]] || fail "discovered Upstreams left after discovery was turned off: $(discovered)"
deadline=$((SECONDS + 30))
until [[ "$(k -n "$NS" get httproute three -o jsonpath='{.status.parents[0].conditions[?(@.type=="ResolvedRefs")].reason}')" == BackendNotFound ]]; do
  ((SECONDS < deadline)) || fail "HTTPRoute three does not say BackendNotFound after its Upstream went"
  sleep 0.2
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Host: three.example.com' "http://$addr/")" == 500 ]] || fail "HTTPRoute three does not answer 500"
answered one.example.com || fail "HTTPRoute one stopped answering"
log "discovery off: its Upstream removed by the hook Job, HTTPRoute three BackendNotFound (500), route one still served"

log "passed: cluster up ${up_s}s, rolls ${roll_s}s and ${roll2_s}s, $((SECONDS - start))s before teardown"
