# shellcheck shell=bash
# The node agent (e2e/node-agent) of a local cluster: it plays kubelet for one Node, running Pods
# as processes in network namespaces on a bridge, and serves LoadBalancer addresses. Sourced by
# hack/cluster-up.sh and hack/cluster-down.sh after lib/cluster.sh; never executed.
#
# In the state dir: node-agent.pid, logs/node-agent.log, node-agent.env (the settings it was
# started with, which cluster-down needs for its cleanup), node-agent/ (Pod dirs, the kubelet
# serving certificate, network.env with NODE_IP: the host's address on the bridge, which Pods
# use to reach programs on the host, e.g. the controller's xDS port).
#
# Env (read when the agent is first started for a state dir):
#   GANTRY_CLUSTER_NODE_AGENT=0   no node agent (the TypeScript test fixture sets this)
#   GANTRY_NODE_NAME (gantry-node), GANTRY_NODE_BRIDGE (gantry0),
#   GANTRY_NODE_POD_CIDR (10.244.0.0/16), GANTRY_NODE_LB_CIDR (10.245.0.0/24)
#   GANTRY_NODE_AGENT_ARGS        extra arguments (e.g. "--restart-backoff-ms 1000")
# The image of Gantry's controller (charts/gantry's `gantry:<tag>`) always runs the working tree's
# build (--gantry-controller). In Helm mode (lib/gantry-helm.sh) the agent also forwards the
# `kubernetes` ClusterIP to the API server with KUBERNETES_SERVICE_HOST/PORT in every container
# (--api-service), and gives Pods an /etc/hosts naming Service ClusterIPs (--service-hosts).

NODE_AGENT_MAIN="$REPO_DIR/e2e/node-agent/dist/main.js"

node_agent_enabled() { [[ "${GANTRY_CLUSTER_NODE_AGENT:-1}" == 1 ]]; }

# Settings: as recorded for this state dir, else from the environment (then recorded).
node_agent_settings() {
  if [[ -s "$CLUSTER_DIR/node-agent.env" ]]; then
    # shellcheck source=/dev/null
    source "$CLUSTER_DIR/node-agent.env"
    return 0
  fi
  NODE_NAME="${GANTRY_NODE_NAME:-gantry-node}"
  NODE_BRIDGE="${GANTRY_NODE_BRIDGE:-gantry0}"
  NODE_POD_CIDR="${GANTRY_NODE_POD_CIDR:-10.244.0.0/16}"
  NODE_LB_CIDR="${GANTRY_NODE_LB_CIDR:-10.245.0.0/24}"
  printf 'NODE_NAME=%s\nNODE_BRIDGE=%s\nNODE_POD_CIDR=%s\nNODE_LB_CIDR=%s\n' \
    "$NODE_NAME" "$NODE_BRIDGE" "$NODE_POD_CIDR" "$NODE_LB_CIDR" >"$CLUSTER_DIR/node-agent.env"
}

# Builds the agent (incremental tsc: seconds when nothing changed) and the binaries its images
# map to, then starts it detached like the other components.
cluster_start_node_agent() {
  node_agent_settings
  cluster_already_running node-agent && return 0
  if [[ "$(id -u)" -ne 0 ]]; then
    log "warning: not root; no node agent (network namespaces and bridges need root), so no Pods will run"
    return 0
  fi
  ensure_command ip iproute2
  ensure_command node nodejs
  log "building the node agent"
  (
    cd "$REPO_DIR" || exit 1
    [[ -d node_modules ]] || npm ci --no-audit --no-fund >&2
    npx tsc -b e2e/node-agent >&2
  ) || die "node agent build failed"
  local echo_basic envoy
  echo_basic="${GANTRY_ECHO_BASIC:-$(bash "$HACK_DIR/install-gateway-api.sh" | tail -n 1)}"
  envoy="${GANTRY_ENVOY:-$(bash "$HACK_DIR/install-envoy.sh" | tail -n 1)}"
  local -a extra=()
  # shellcheck disable=SC2206 # word splitting intended: a list of arguments
  [[ -n "${GANTRY_NODE_AGENT_ARGS:-}" ]] && extra=(${GANTRY_NODE_AGENT_ARGS})
  if gantry_helm_mode; then
    extra+=(--api-service --service-hosts)
  fi
  log "starting the node agent ($NODE_NAME on bridge $NODE_BRIDGE, Pods $NODE_POD_CIDR, LoadBalancers $NODE_LB_CIDR)"
  cluster_spawn node-agent node "$NODE_AGENT_MAIN" \
    --kubeconfig "$CLUSTER_DIR/admin.kubeconfig" \
    --state-dir "$CLUSTER_DIR/node-agent" \
    --ca-dir "$CLUSTER_DIR/pki" \
    --node-name "$NODE_NAME" \
    --bridge "$NODE_BRIDGE" \
    --pod-cidr "$NODE_POD_CIDR" \
    --lb-cidr "$NODE_LB_CIDR" \
    --echo-basic "$echo_basic" \
    --envoy "$envoy" \
    --gantry-controller "$REPO_DIR/packages/gatewayclass-controller/dist/cli/main.js" \
    "${extra[@]}"
}

# Waits for the Node to report Ready; fails early when the agent exits.
cluster_wait_node_ready() {
  local timeout="${1:-60}" deadline ready
  cluster_running node-agent || return 0 # not started (not root)
  node_agent_settings
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    ready="$("$KUBE_BIN_DIR/kubectl" --kubeconfig "$CLUSTER_DIR/admin.kubeconfig" get node "$NODE_NAME" \
      -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
    if [[ "$ready" == True ]]; then
      log "node $NODE_NAME Ready ($(grep '^NODE_IP=' "$CLUSTER_DIR/node-agent/network.env" 2>/dev/null | cut -d= -f2) on $NODE_BRIDGE)"
      return 0
    fi
    if ! cluster_running node-agent; then
      cluster_show_log node-agent
      die "the node agent exited (log: $CLUSTER_DIR/logs/node-agent.log)"
    fi
    sleep 0.2
  done
  cluster_show_log node-agent
  die "node $NODE_NAME not Ready after ${timeout}s"
}

# After the agent is stopped: removes whatever a killed agent could not (namespaces, bridge,
# the LoadBalancer route, Pod dirs). A no-op when it stopped cleanly.
cluster_node_agent_cleanup() {
  [[ -s "$CLUSTER_DIR/node-agent.env" && -f "$NODE_AGENT_MAIN" && "$(id -u)" -eq 0 ]] || return 0
  node_agent_settings
  node "$NODE_AGENT_MAIN" cleanup --state-dir "$CLUSTER_DIR/node-agent" \
    --bridge "$NODE_BRIDGE" --pod-cidr "$NODE_POD_CIDR" --lb-cidr "$NODE_LB_CIDR" >/dev/null ||
    log "warning: node agent cleanup failed"
}
