#!/usr/bin/env bash
# Two local clusters side by side, for multi-cluster work (VirtualDestinations across clusters):
#
#   cluster A: control plane, node agent on its bridge, Gantry (from the working tree) started with
#              --remote-cluster b=<B's reader kubeconfig>
#   cluster B: control plane and node agent on a bridge and ranges of its own; no Gantry
#   the host:  routes between the two Pod ranges, so a Pod of A (A's Envoy) reaches Pods of B
#              and back, and nothing else (see "Routing" below)
#
# Each cluster is a normal hack/cluster-up.sh state dir (GANTRY_PAIR_DIR/a and /b), so everything
# that works on one local cluster works on each (`GANTRY_CLUSTER_DIR=.../a kubectl ...`).
#
# Gantry in A reads B with the least-privilege credentials a user would give it: the ServiceAccount
# of docs/remote-cluster-reader.yaml, applied in B, and a token of it (TokenRequest, 48 h) in
# GANTRY_PAIR_DIR/b/remote-reader.kubeconfig (`up` makes a fresh one each time it runs).
#
# Routing. Each node agent puts its Pod range's gateway address on its bridge, and every Pod routes
# through it, so the host is the router between the two bridges. This script:
#   1. turns IPv4 forwarding on for the two bridges only (net.ipv4.conf.<bridge>.forwarding=1;
#      for IPv4 the ingress interface's flag decides, so net.ipv4.ip_forward and every other
#      interface stay as they are);
#   2. adds one policy-routing rule per bridge, `iif <bridge> lookup <table>`, whose table holds
#      just the other cluster's Pod range (via the other bridge) and `unreachable default`: a Pod
#      can reach the other cluster's Pods and nothing else through the host (no leak of Pod
#      addresses to the host's uplink; the host's own addresses, LoadBalancer /32s on the bridges
#      included, are still answered locally, the `local` table comes first).
# No NAT and no iptables (the machine has none): addresses are kept end to end, as between the
# flat Pod networks of real clusters peered by VPN or VPC routing. `down` removes the rules and
# tables; the forwarding flags go with the bridges.
#
# Usage: hack/cluster-pair.sh up | down [--purge] | env | routes
#   up      start (or complete) both clusters and the routes; prints KUBECONFIG_A=..., KUBECONFIG_B=...
#           and REMOTE_KUBECONFIG_B=... (what A's Gantry uses) as the last lines
#   down    remove the routes, stop A then B (--purge: delete their state dirs)
#   env     print the same lines as `up` for a running pair
#   routes  (re)apply the routes only
# Env (read on the first `up` of a state dir, then as recorded by each cluster):
#   GANTRY_PAIR_DIR            parent of the two state dirs (default <repo>/.cache/cluster-pair)
#   GANTRY_PAIR_A_BRIDGE, _A_POD_CIDR, _A_LB_CIDR, _A_SERVICE_CIDR
#                              cluster A (default gpa0, 10.250.0.0/16, 10.251.0.0/24, 10.97.0.0/16)
#   GANTRY_PAIR_B_BRIDGE, _B_POD_CIDR, _B_LB_CIDR, _B_SERVICE_CIDR
#                              cluster B (default gpb0, 10.252.0.0/16, 10.253.0.0/24, 10.98.0.0/16)
#   GANTRY_PAIR_B_NAME         the name A's Gantry gives B (default b)
#   GANTRY_PAIR_STALE_AFTER    A's --remote-cluster-stale-after (default: the controller's, 5m)
#   GANTRY_PAIR_LOCAL_ARGS     more arguments for A's controller
# Every cluster-up.sh setting (GANTRY_KUBE_BIN_DIR, GANTRY_ETCD, ...) is passed on. Needs root
# (bridges, network namespaces, routes).
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$HACK_DIR/.." && pwd)"
LOG_PREFIX=cluster-pair
log() { printf '[%s] %s\n' "$LOG_PREFIX" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

PAIR_DIR="$(realpath -m "${GANTRY_PAIR_DIR:-$REPO_DIR/.cache/cluster-pair}")"
A_DIR="$PAIR_DIR/a"
B_DIR="$PAIR_DIR/b"
B_NAME="${GANTRY_PAIR_B_NAME:-b}"
READER_KUBECONFIG="$B_DIR/remote-reader.kubeconfig"

# side_env SIDE: the node-agent and Service settings of cluster SIDE (a or b), as recorded in its
# state dir when it exists, else from the environment.
side_env() {
  local side="$1" upper dir bridge pods lbs svcs
  upper="$(tr a-z A-Z <<<"$side")"
  dir="$PAIR_DIR/$side"
  if [[ "$side" == a ]]; then
    bridge=gpa0 pods=10.250.0.0/16 lbs=10.251.0.0/24 svcs=10.97.0.0/16
  else
    bridge=gpb0 pods=10.252.0.0/16 lbs=10.253.0.0/24 svcs=10.98.0.0/16
  fi
  local v
  v="GANTRY_PAIR_${upper}_BRIDGE" && bridge="${!v:-$bridge}"
  v="GANTRY_PAIR_${upper}_POD_CIDR" && pods="${!v:-$pods}"
  v="GANTRY_PAIR_${upper}_LB_CIDR" && lbs="${!v:-$lbs}"
  v="GANTRY_PAIR_${upper}_SERVICE_CIDR" && svcs="${!v:-$svcs}"
  if [[ -s "$dir/node-agent.env" ]]; then
    bridge="$(sed -n 's/^NODE_BRIDGE=//p' "$dir/node-agent.env")"
    pods="$(sed -n 's/^NODE_POD_CIDR=//p' "$dir/node-agent.env")"
    lbs="$(sed -n 's/^NODE_LB_CIDR=//p' "$dir/node-agent.env")"
  fi
  printf '%s %s %s %s\n' "$bridge" "$pods" "$lbs" "$svcs"
}

read -r A_BRIDGE A_PODS A_LBS A_SVCS < <(side_env a)
read -r B_BRIDGE B_PODS B_LBS B_SVCS < <(side_env b)

kubectl_bin() {
  local bin="${GANTRY_KUBE_BIN_DIR:-}"
  [[ -n "$bin" ]] || bin="$(bash "$HACK_DIR/install-kube.sh" | tail -n 1)"
  printf '%s/kubectl\n' "$bin"
}

# cluster_up SIDE [ENV...]: hack/cluster-up.sh for one side, with its settings.
cluster_up() {
  local side="$1" bridge pods lbs svcs
  shift
  read -r bridge pods lbs svcs < <(side_env "$side")
  env GANTRY_CLUSTER_DIR="$PAIR_DIR/$side" \
    GANTRY_NODE_BRIDGE="$bridge" GANTRY_NODE_NAME="$bridge-node" \
    GANTRY_NODE_POD_CIDR="$pods" GANTRY_NODE_LB_CIDR="$lbs" GANTRY_CLUSTER_SERVICE_CIDR="$svcs" \
    "$@" bash "$HACK_DIR/cluster-up.sh" >/dev/null
}

# A routing table and rule priority per bridge, derived from its name (stable across runs).
route_table() { printf '%d\n' $((100000 + 0x$(printf '%s' "$1" | sha256sum | cut -c1-4))); }
rule_pref() { printf '%d\n' $((20000 + 0x$(printf '%s' "$1" | sha256sum | cut -c1-4) % 10000)); }

# route_one FROM_BRIDGE TO_BRIDGE TO_PODS: Pods behind FROM_BRIDGE reach TO_PODS via TO_BRIDGE.
route_one() {
  local from="$1" to="$2" to_pods="$3" table pref
  table="$(route_table "$from")"
  pref="$(rule_pref "$from")"
  sysctl -q -w "net.ipv4.conf.$from.forwarding=1"
  ip route replace "$to_pods" dev "$to" table "$table"
  ip route replace unreachable default table "$table"
  if ! ip rule show pref "$pref" | grep -q "iif $from lookup $table"; then
    ip rule del pref "$pref" 2>/dev/null || true
    ip rule add pref "$pref" iif "$from" lookup "$table"
  fi
  log "routes: Pods on $from ($(ip -o -4 addr show dev "$from" | awk '{print $4}' | head -n 1)) reach $to_pods via $to (rule $pref, table $table)"
}

routes_up() {
  ip link show dev "$A_BRIDGE" >/dev/null 2>&1 || die "bridge $A_BRIDGE of cluster A does not exist (is its node agent running?)"
  ip link show dev "$B_BRIDGE" >/dev/null 2>&1 || die "bridge $B_BRIDGE of cluster B does not exist (is its node agent running?)"
  route_one "$A_BRIDGE" "$B_BRIDGE" "$B_PODS"
  route_one "$B_BRIDGE" "$A_BRIDGE" "$A_PODS"
}

routes_down() {
  local bridge
  for bridge in "$A_BRIDGE" "$B_BRIDGE"; do
    ip rule del pref "$(rule_pref "$bridge")" iif "$bridge" 2>/dev/null || true
    ip route flush table "$(route_table "$bridge")" 2>/dev/null || true
  done
}

print_env() {
  [[ -s "$A_DIR/admin.kubeconfig" && -s "$B_DIR/admin.kubeconfig" ]] || die "no pair in $PAIR_DIR (run: hack/cluster-pair.sh up)"
  local admin_port=""
  [[ -s "$A_DIR/gantry.env" ]] && admin_port="$(sed -n 's/^GANTRY_ADMIN_PORT=//p' "$A_DIR/gantry.env")"
  printf 'GANTRY_ADMIN_A=127.0.0.1:%s\n' "$admin_port"
  printf 'REMOTE_KUBECONFIG_B=%s\n' "$READER_KUBECONFIG"
  printf 'KUBECONFIG_A=%s\n' "$A_DIR/admin.kubeconfig"
  printf 'KUBECONFIG_B=%s\n' "$B_DIR/admin.kubeconfig"
}

# B's reader: docs/remote-cluster-reader.yaml applied in B, a token of its ServiceAccount, and a
# kubeconfig with it (B's address and CA), mode 0600.
write_reader_kubeconfig() {
  local kubectl token server
  kubectl="$(kubectl_bin)"
  "$kubectl" --kubeconfig "$B_DIR/admin.kubeconfig" apply --server-side --field-manager=cluster-pair \
    -f "$REPO_DIR/docs/remote-cluster-reader.yaml" >/dev/null
  token="$("$kubectl" --kubeconfig "$B_DIR/admin.kubeconfig" -n gantry-remote create token gantry-remote-reader --duration=48h)"
  server="$("$kubectl" --kubeconfig "$B_DIR/admin.kubeconfig" config view --minify -o 'jsonpath={.clusters[0].cluster.server}')"
  (
    umask 077
    cat >"$READER_KUBECONFIG.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $B_NAME
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$B_DIR/pki/ca.crt")
users:
- name: gantry-remote-reader
  user:
    token: $token
contexts:
- name: $B_NAME
  context: {cluster: $B_NAME, user: gantry-remote-reader}
current-context: $B_NAME
EOF
    mv "$READER_KUBECONFIG.tmp" "$READER_KUBECONFIG"
  )
  log "B's reader kubeconfig (list/watch Services, EndpointSlices, Pods only): $READER_KUBECONFIG"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  up)
    [[ "$(id -u)" -eq 0 ]] || die "needs root (bridges, network namespaces, routes)"
    [[ "$A_BRIDGE" != "$B_BRIDGE" ]] || die "the two clusters need two bridges"
    mkdir -p "$PAIR_DIR"
    log "cluster B ($B_BRIDGE, Pods $B_PODS, LoadBalancers $B_LBS, Services $B_SVCS): no Gantry"
    cluster_up b GANTRY_CLUSTER_GANTRY=0 GANTRY_CLUSTER_CRDS=0 GANTRY_CLUSTER_INSTALL=local
    write_reader_kubeconfig
    local_args="--remote-cluster $B_NAME=$READER_KUBECONFIG"
    [[ -n "${GANTRY_PAIR_STALE_AFTER:-}" ]] && local_args+=" --remote-cluster-stale-after $GANTRY_PAIR_STALE_AFTER"
    local_args+="${GANTRY_PAIR_LOCAL_ARGS:+ $GANTRY_PAIR_LOCAL_ARGS}"
    log "cluster A ($A_BRIDGE, Pods $A_PODS, LoadBalancers $A_LBS, Services $A_SVCS): Gantry with $local_args"
    if [[ -s "$A_DIR/gantry-controller.pid" ]]; then
      # A running controller keeps its old token and flags: restart it with the new ones.
      GANTRY_CLUSTER_DIR="$A_DIR" bash "$HACK_DIR/cluster-down.sh" --only gantry-controller >/dev/null 2>&1 || true
    fi
    # Local install: the controller runs on the host, where B's API server (127.0.0.1) is reachable;
    # a controller Pod (Helm mode) could not reach it.
    cluster_up a GANTRY_CLUSTER_INSTALL=local GANTRY_LOCAL_ARGS="$local_args"
    routes_up
    log "up in ${SECONDS}s. Use a cluster: KUBECONFIG=<KUBECONFIG_A or _B below> kubectl ...; stop: hack/cluster-pair.sh down --purge"
    print_env
    ;;
  down)
    purge=()
    [[ "${1:-}" == --purge ]] && purge=(--purge)
    routes_down
    for side in a b; do
      [[ -d "$PAIR_DIR/$side" ]] || continue
      GANTRY_CLUSTER_DIR="$PAIR_DIR/$side" bash "$HACK_DIR/cluster-down.sh" "${purge[@]}" >&2
    done
    if ((${#purge[@]} > 0)); then rmdir "$PAIR_DIR" 2>/dev/null || true; fi
    log "down"
    ;;
  env) print_env ;;
  routes) routes_up ;;
  *) die "usage: hack/cluster-pair.sh up | down [--purge] | env | routes" ;;
esac
