#!/usr/bin/env bash
# Cross-cluster failover on a running cluster pair (hack/cluster-pair.sh up): a VirtualDestination
# in cluster A selects the Services labelled app=global-app in A and in B (remote cluster "b").
#
#   1. traffic through A's Gateway goes to A's Pods only (local endpoints first: priority 0);
#   2. under steady traffic (one request every 20 ms), A's Deployment is scaled to zero: requests
#      move to B's Pods (priority 1). Failed requests are counted, and the time from the scale-down
#      to the last failure (after which every request succeeds) is printed;
#   3. A's Deployment is scaled back: traffic returns to A, and how long that took is printed;
#   4. (GANTRY_FAILOVER_OUTAGE=1, the default) with A at zero, B's API server is stopped: B's
#      endpoints are kept (Stale) and traffic keeps flowing to B's Pods, which do not need their API
#      server; after --remote-cluster-stale-after they are dropped (Unreachable) and requests fail;
#      the API server is started again and traffic to B comes back. The VirtualDestination's
#      RemoteClusters condition follows (ClusterStale, ClusterUnreachable, AllSynced).
#
# Everything lives in namespace `global-check` of both clusters, deleted at the end. Exits non-zero,
# saying what was wrong, on any failure. Figures go to stdout (and GANTRY_FAILOVER_REPORT if set).
#
# Usage: e2e/multi-cluster/failover.sh   (or e2e/multi-cluster/run.sh: pair up, this, pair down)
# Env:   GANTRY_PAIR_DIR (as for hack/cluster-pair.sh), GANTRY_KUBE_BIN_DIR
#        GANTRY_FAILOVER_OUTAGE=0  skip step 4
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$repo/e2e/multi-cluster"
# shellcheck source=e2e/lib/checks.sh
source "$repo/e2e/lib/checks.sh"
pair_env="$(bash "$repo/hack/cluster-pair.sh" env)"
KA="$(sed -n 's/^KUBECONFIG_A=//p' <<<"$pair_env")"
KB="$(sed -n 's/^KUBECONFIG_B=//p' <<<"$pair_env")"
ADMIN_A="$(sed -n 's/^GANTRY_ADMIN_A=//p' <<<"$pair_env")"
B_DIR="$(dirname "$KB")"
kubectl="${KUBECTL:-${GANTRY_KUBE_BIN_DIR:+$GANTRY_KUBE_BIN_DIR/kubectl}}"
[[ -n "$kubectl" ]] || kubectl="$(ls -d "${GANTRY_CACHE:-$HOME/.cache/gantry}"/kube/*/bin/kubectl | tail -n 1)"
NS=global-check
start=$SECONDS
load_pid=""
b_stopped=0
work="$(mktemp -d)"

log() { echo "[failover] $*" >&2; }
ka() { "$kubectl" --kubeconfig "$KA" "$@"; }
kb() { "$kubectl" --kubeconfig "$KB" "$@"; }
k() { ka "$@"; } # for e2e/lib/checks.sh
report() {
  echo "$*"
  [[ -z "${GANTRY_FAILOVER_REPORT:-}" ]] || echo "$*" >>"$GANTRY_FAILOVER_REPORT"
}
fail() {
  log "FAILED: $*"
  ka get vd,httproute,gateway -n "$NS" -o wide >&2 || true
  ka get vd -n "$NS" -o yaml >&2 || true
  ka get pods -n "$NS" -o wide >&2 || true
  kb get pods -n "$NS" -o wide >&2 || true
  curl -s "http://$ADMIN_A/metrics" | grep '^gantry_remote_cluster' >&2 || true
  [[ ! -s "$work/load.err" ]] || { log "load generator:"; cat "$work/load.err" >&2; }
  exit 1
}
cleanup() {
  [[ -z "$load_pid" ]] || kill "$load_pid" 2>/dev/null || true
  # B's API server back, if step 4 stopped it.
  ((b_stopped == 0)) || GANTRY_CLUSTER_DIR="$B_DIR" GANTRY_CLUSTER_CRDS=0 GANTRY_CLUSTER_GANTRY=0 bash "$repo/hack/cluster-up.sh" >/dev/null 2>&1 || true
  ka delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  kb delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The echo app behind Service global-app (port 9080 → the echo's 3000), labelled app=global-app.
app_yaml() { # cluster replicas
  cat <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
---
EOF
  SERVICE=0 echo_app "$NS" "global-app-$1" "$2" app=global-app
  cat <<EOF
apiVersion: v1
kind: Service
metadata: {name: global-app, namespace: $NS, labels: {app: global-app}}
spec:
  selector: {app: global-app}
  ports: [{name: http, port: 9080, targetPort: 3000}]
EOF
}

log "namespace $NS in both clusters: Deployment global-app-<cluster> (2 Pods) behind Service global-app (app=global-app, port 9080)"
for c in a b; do
  "k$c" delete namespace "$NS" --ignore-not-found --wait=true --timeout=90s >/dev/null || fail "namespace $NS from a previous run does not go away in $c"
done
app_yaml a 2 | ka apply -f - >/dev/null
app_yaml b 2 | kb apply -f - >/dev/null
{
  web_gateway "$NS"
  cat <<EOF
apiVersion: gateway.gantry.dev/v1alpha1
kind: VirtualDestination
metadata: {name: global-app-vd, namespace: $NS}
spec:
  hosts: [my.app.com]
  ports: [{number: 8080, protocol: HTTP, targetPort: {number: 9080}}]
  services: [{labels: {app: global-app}}]
  failover: {policy: LocalFirst}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: global-app, namespace: $NS}
spec:
  parentRefs: [{name: web}]
  hostnames: [my.app.com]
  rules:
    - backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name: global-app-vd, port: 8080}]
EOF
} | ka apply -f - >/dev/null
ka rollout status -n "$NS" deployment/global-app-a --timeout=120s >/dev/null || fail "global-app-a did not become ready"
kb rollout status -n "$NS" deployment/global-app-b --timeout=120s >/dev/null || fail "global-app-b did not become ready"
addr="$(gateway_address "$NS" web)"
deadline=$((SECONDS + 60))
until [[ "$(ka get vd -n "$NS" global-app-vd -o 'jsonpath={.status.numSelectedBackingServices}')" == 2 ]]; do
  ((SECONDS < deadline)) || fail "the VirtualDestination does not select the two Services (one per cluster)"
  sleep 0.5
done
log "VirtualDestination:"
ka get vd -n "$NS" >&2
ka get vd -n "$NS" global-app-vd -o 'jsonpath={range .status.selectedBackingServices[*]}  {.cluster}/{.namespace}/{.name}:{.port}{"\n"}{end}' >&2

pods_a="$(ka get pods -n "$NS" -l app=global-app -o jsonpath='{.items[*].metadata.name}')"
pods_b="$(kb get pods -n "$NS" -l app=global-app -o jsonpath='{.items[*].metadata.name}')"
cluster_of() { # pod name → a | b | ?
  case "$1" in global-app-a-*) echo a ;; global-app-b-*) echo b ;; *) echo '?' ;; esac
}
one() { curl -sS --max-time 3 -H 'Host: my.app.com' "http://$addr/" | sed -n 's/.*"pod": *"\([^"]*\)".*/\1/p'; }

log "1. with both clusters healthy, traffic stays in A (LocalFirst)"
deadline=$((SECONDS + 30))
until [[ "$(cluster_of "$(one)")" == a ]]; do
  ((SECONDS < deadline)) || fail "no request through the Gateway ($addr) reached A's Pods"
  sleep 0.2
done
for _ in $(seq 1 30); do
  pod="$(one)"
  [[ "$(cluster_of "$pod")" == a ]] || fail "a request was answered by '$pod', not by A's Pods ($pods_a)"
done
log "30 requests, all answered by A ($pods_a)"

# --- steady traffic ---------------------------------------------------------------------------
node "$here/load.mjs" "http://$addr/" my.app.com 20 >"$work/load.jsonl" 2>"$work/load.err" &
load_pid=$!
sleep 3
now_ms() { date +%s%3N; }
# summary FROM_MS [TO_MS]: requests, failures, answered by a / b, first and last failure (ms after FROM).
summary() {
  node -e '
    const [file, from, to] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3] || Infinity)];
    const rs = require("fs").readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.t >= from && r.t < to);
    const fails = rs.filter((r) => !r.ok);
    const by = (p) => rs.filter((r) => r.ok && r.pod.startsWith(`global-app-${p}-`)).length;
    const firstB = rs.find((r) => r.ok && r.pod.startsWith("global-app-b-"));
    const lastA = [...rs].reverse().find((r) => r.ok && r.pod.startsWith("global-app-a-"));
    const firstA = rs.find((r) => r.ok && r.pod.startsWith("global-app-a-"));
    const lastB = [...rs].reverse().find((r) => r.ok && r.pod.startsWith("global-app-b-"));
    const rel = (r) => (r ? r.t - from : -1);
    console.log([rs.length, fails.length, by("a"), by("b"), rel(fails[0]), rel(fails.at(-1)), rel(firstB), rel(lastA), rel(firstA), rel(lastB),
      [...new Set(fails.map((f) => f.error ?? f.status))].join("|") || "-"].join(" "));
  ' "$work/load.jsonl" "$1" "${2:-}"
}
settle() { # seconds: wait, then require zero failures over the last `seconds`
  local from n f errs
  from="$(now_ms)"
  sleep "$1"
  read -r n f _ _ _ _ _ _ _ _ errs < <(summary "$from")
  ((n > 0)) || fail "the load generator sent nothing"
  ((f == 0)) || fail "$f of $n requests failed in the last $1 s (steady state expected): $errs"
}
settle 3
log "steady traffic: $(summary 0 | awk '{print $1}') requests so far, all answered"

log "2. scale A's Deployment to zero under traffic"
t0="$(now_ms)"
ka scale -n "$NS" deployment/global-app-a --replicas=0 >/dev/null
deadline=$((SECONDS + 60))
while [[ -n "$(ka get pods -n "$NS" -l app=global-app -o name)" ]]; do
  ((SECONDS < deadline)) || fail "A's Pods do not go away"
  sleep 0.2
done
sleep 5
read -r n f na nb ff lf fb la _ _ errs < <(summary "$t0")
settle 5
((nb > 0)) || fail "no request reached B after A went to zero"
if ((f > 0)); then zero="last failure ${lf} ms after the scale-down (zero failures since)"; else zero="no failure"; fi
report "failover (A scaled to 0, LocalFirst): $n requests in the next $(( ($(now_ms) - t0) / 1000 ))s, $f failed ($errs); $zero; first answer from B after ${fb} ms; last answer from A at ${la} ms"

log "3. scale A back to 2: traffic returns to A"
t1="$(now_ms)"
ka scale -n "$NS" deployment/global-app-a --replicas=2 >/dev/null
ka rollout status -n "$NS" deployment/global-app-a --timeout=120s >/dev/null || fail "global-app-a did not become ready again"
ready="$(( $(now_ms) - t1 ))"
deadline=$((SECONDS + 30))
while :; do
  sleep 1
  read -r n f na nb _ _ _ _ fa lb _ < <(summary "$(( $(now_ms) - 1000 ))")
  ((nb == 0 && na > 0)) && break
  ((SECONDS < deadline)) || fail "traffic does not return to A (last second: $na to A, $nb to B)"
done
read -r n f na nb ff lf _ _ fa lb errs < <(summary "$t1")
((f == 0)) || fail "$f requests failed while A came back ($errs)"
report "failback (A scaled to 2): A's Pods ready after ${ready} ms; first answer from A ${fa} ms after the scale-up, last answer from B at ${lb} ms; $n requests, $f failed"

if [[ "${GANTRY_FAILOVER_OUTAGE:-1}" == 1 ]]; then
  stale_after="$(tr '\0' ' ' <"/proc/$(cat "$(dirname "$KA")/gantry-controller.pid")/cmdline" 2>/dev/null | grep -o -- '--remote-cluster-stale-after [^ ]*' | cut -d' ' -f2 || true)"
  log "4. A at zero again, then B's API server stops (stale-after ${stale_after:-5m}): B's last known endpoints keep serving, then are dropped"
  ka scale -n "$NS" deployment/global-app-a --replicas=0 >/dev/null
  sleep 6
  t2="$(now_ms)"
  b_stopped=1
  GANTRY_CLUSTER_DIR="$B_DIR" bash "$repo/hack/cluster-down.sh" --only kube-apiserver >/dev/null 2>&1
  state() { curl -s "http://$ADMIN_A/metrics" | sed -n 's/^gantry_remote_cluster_state{cluster="b"} //p'; }
  # vd_reason REASON: the VirtualDestination's RemoteClusters condition says so (within 10 s).
  vd_reason() {
    local got deadline=$((SECONDS + 10))
    while :; do
      got="$(ka get vd -n "$NS" global-app-vd -o 'jsonpath={.status.conditions[?(@.type=="RemoteClusters")].reason}')"
      [[ "$got" == "$1" ]] && break
      ((SECONDS < deadline)) || fail "the VirtualDestination's RemoteClusters condition says '$got', expected $1"
      sleep 0.2
    done
    log "VirtualDestination status: RemoteClusters $(ka get vd -n "$NS" global-app-vd -o 'jsonpath={.status.conditions[?(@.type=="RemoteClusters")].status} ({.status.conditions[?(@.type=="RemoteClusters")].message})')"
  }
  deadline=$((SECONDS + 30))
  until [[ "$(state)" == 1 ]]; do ((SECONDS < deadline)) || fail "remote cluster b is not Stale after its API server stopped"; sleep 0.2; done
  stale_ms="$(( $(now_ms) - t2 ))"
  vd_reason ClusterStale
  deadline=$((SECONDS + 400))
  until [[ "$(state)" == 2 ]]; do ((SECONDS < deadline)) || fail "remote cluster b is not Unreachable"; sleep 0.5; done
  unreachable_ms="$(( $(now_ms) - t2 ))"
  vd_reason ClusterUnreachable
  sleep 3
  # The metric is polled every 0.5 s and the new endpoints take a moment to reach Envoy: requests
  # from 1.5 s before Unreachable was seen on may already fail, as they should.
  read -r n f _ nb _ _ _ _ _ _ errs < <(summary "$t2" "$(( t2 + unreachable_ms - 1500 ))")
  read -r _ _ _ _ ff _ _ _ _ _ _ < <(summary "$t2")
  report "B's API server down: Stale after ${stale_ms} ms, Unreachable after ${unreachable_ms} ms (as seen in gantry_remote_cluster_state); until then $n requests, $f failed, $nb answered by B (its Pods kept serving); first failed request ${ff} ms after the API server stopped"
  ((f == 0)) || fail "$f requests failed while b was Stale ($errs)"
  read -r n f _ nb _ _ _ _ _ _ errs < <(summary "$(( $(now_ms) - 2000 ))")
  report "b Unreachable, A at zero: the last 2 s, $n requests, $f failed ($errs), as expected with no endpoint left"
  ((f == n)) || fail "requests still succeed after b's endpoints were dropped"
  t3="$(now_ms)"
  GANTRY_CLUSTER_DIR="$B_DIR" GANTRY_CLUSTER_CRDS=0 GANTRY_CLUSTER_GANTRY=0 bash "$repo/hack/cluster-up.sh" >/dev/null 2>&1 || fail "B's API server does not start again"
  b_stopped=0
  deadline=$((SECONDS + 60))
  until [[ "$(state)" == 0 ]]; do ((SECONDS < deadline)) || fail "remote cluster b is not Synced again"; sleep 0.2; done
  synced_ms="$(( $(now_ms) - t3 ))"
  vd_reason AllSynced
  deadline=$((SECONDS + 30))
  until [[ "$(cluster_of "$(one)")" == b ]]; do ((SECONDS < deadline)) || fail "traffic does not come back to B"; sleep 0.2; done
  report "B's API server back: Synced ${synced_ms} ms after its restart began, traffic to B $(( $(now_ms) - t3 )) ms after"
fi

kill "$load_pid" 2>/dev/null || true
wait "$load_pid" 2>/dev/null || true
load_pid=""
log "passed in $((SECONDS - start))s"
