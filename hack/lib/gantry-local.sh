# shellcheck shell=bash
# Gantry in a local cluster, installed the way charts/gantry installs it, except that the
# controller runs from the working tree as a local process instead of as the chart's Deployment.
# Sourced by hack/cluster-up.sh and hack/cluster-down.sh after lib/cluster.sh and
# lib/node-agent.sh; never executed.
#
# What it does (cluster_start_gantry):
#   1. `helm template charts/gantry` (release gantry, namespace gantry-system) and applies every
#      object but the Deployment: ServiceAccount, ClusterRole(s), Role, bindings, xDS Service and
#      the default GatewayClass `gantry`.
#   2. A token for that ServiceAccount from the TokenRequest API, in a kubeconfig of its own, so
#      the controller runs with exactly the chart's RBAC (a missing grant fails here too).
#   3. Starts `gantry controller` with the Deployment's own args (read from the rendered chart)
#      and local addresses appended (a repeated flag takes the last value): xDS on the host's
#      address on the node agent's bridge (where Envoy Pods reach it), admin and debug on loopback.
#      xDS is authenticated as the chart sets it (--xds-ca-secret): the CA Secret is created in
#      the release namespace, each Envoy Pod mounts its Gateway's client certificate Secret.
#
# In the state dir: gantry-controller.pid, logs/gantry-controller.log, gantry-controller.kubeconfig
# (mode 0600: holds the token), gantry.env (ADMIN_PORT, DEBUG_PORT, XDS address).
#
# Env:
#   GANTRY_CLUSTER_GANTRY=0|1   start Gantry (default: when the node agent and the CRDs are on, so
#                               the TypeScript test fixture, which turns both off, gets none)
#   GANTRY_HELM                 an installed helm (else hack/install-helm.sh)
#   GANTRY_LOCAL_VALUES         extra `helm template` arguments (e.g. "--set logLevel=debug")
#   GANTRY_LOCAL_ARGS           extra controller arguments (after the chart's)
#   GANTRY_XDS_PORT             xDS port on the bridge address (default 18000)

# shellcheck source=hack/lib/gantry-release.sh
source "$(dirname "${BASH_SOURCE[0]}")/gantry-release.sh"
GANTRY_CONTROLLER_MAIN="$REPO_DIR/packages/gatewayclass-controller/dist/cli/main.js"

gantry_enabled() {
  local default=0
  [[ "${GANTRY_CLUSTER_NODE_AGENT:-1}" == 1 && "${GANTRY_CLUSTER_CRDS:-1}" == 1 ]] && default=1
  [[ "${GANTRY_CLUSTER_GANTRY:-$default}" == 1 ]]
}

gantry_kubectl() {
  "$KUBE_BIN_DIR/kubectl" --kubeconfig "$CLUSTER_DIR/admin.kubeconfig" "$@"
}

# The chart rendered as the release cluster-up installs. The chart's defaults otherwise: what
# users get from `helm install gantry charts/gantry -n gantry-system`.
gantry_render_chart() {
  local helm="${GANTRY_HELM:-$(bash "$HACK_DIR/install-helm.sh" | tail -n 1)}"
  local -a extra=()
  # shellcheck disable=SC2206 # word splitting intended: a list of arguments
  [[ -n "${GANTRY_LOCAL_VALUES:-}" ]] && extra=(${GANTRY_LOCAL_VALUES})
  "$helm" template "$GANTRY_RELEASE" "$REPO_DIR/charts/gantry" --namespace "$GANTRY_NAMESPACE" "${extra[@]}"
}

# gantry_split_chart RENDERED OBJECTS_OUT DEPLOYMENT_JSON_OUT : every object but the Deployment as
# a YAML stream, and the Deployment as JSON (for its args, env and ServiceAccount).
gantry_split_chart() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  (cd "$REPO_DIR" && node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import { parseAllDocuments, stringify } from "yaml";
    const [rendered, objectsOut, deploymentOut] = process.argv.slice(1);
    const docs = parseAllDocuments(readFileSync(rendered, "utf8")).map((d) => d.toJS()).filter(Boolean);
    const deployments = docs.filter((d) => d.kind === "Deployment");
    if (deployments.length !== 1) throw new Error(`expected one Deployment in the chart, got ${deployments.length}`);
    writeFileSync(objectsOut, docs.filter((d) => d.kind !== "Deployment").map((d) => stringify(d)).join("---\n"));
    writeFileSync(deploymentOut, JSON.stringify(deployments[0]));
  ' "$@")
}

# Prints one field of the rendered Deployment: sa (ServiceAccount), args (one per line).
gantry_deployment_field() {
  (cd "$REPO_DIR" && node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const spec = d.spec.template.spec;
    const c = spec.containers.find((x) => x.name === "controller") ?? spec.containers[0];
    if (process.argv[2] === "sa") console.log(spec.serviceAccountName);
    else if (process.argv[2] === "env") console.log((c.env ?? []).find((e) => e.name === process.argv[3])?.value ?? "");
    else for (const a of c.args ?? []) console.log(a);
  ' "$1" "$2" "${3:-}")
}

# gantry_write_token_kubeconfig SA : a kubeconfig that authenticates as the ServiceAccount with a
# bound token (TokenRequest API). Renewed on every start; 48h outlives any test run.
gantry_write_token_kubeconfig() {
  local sa="$1" token file="$CLUSTER_DIR/gantry-controller.kubeconfig"
  token="$(gantry_kubectl -n "$GANTRY_NAMESPACE" create token "$sa" --duration=48h)" ||
    die "TokenRequest for ServiceAccount $GANTRY_NAMESPACE/$sa failed"
  cluster_write_kubeconfig_with "$file" "$GANTRY_NAMESPACE-$sa" "    token: $token" "$GANTRY_NAMESPACE"
}

# The host's address on the node agent's bridge: Envoy Pods reach the xDS server there.
gantry_node_ip() {
  grep '^NODE_IP=' "$CLUSTER_DIR/node-agent/network.env" 2>/dev/null | cut -d= -f2
}

# Ports: recorded on the first start (gantry.env), so a restarted controller keeps them.
gantry_settings() {
  if [[ -s "$CLUSTER_DIR/gantry.env" ]]; then
    # shellcheck source=/dev/null
    source "$CLUSTER_DIR/gantry.env"
    # A state dir from before the debug address existed: give it one, once.
    if [[ -z "${GANTRY_DEBUG_PORT:-}" ]]; then
      GANTRY_DEBUG_PORT="$(pick_free_port)"
      printf 'GANTRY_DEBUG_PORT=%s\n' "$GANTRY_DEBUG_PORT" >>"$CLUSTER_DIR/gantry.env"
    fi
    return 0
  fi
  GANTRY_ADMIN_PORT="$(pick_free_port)"
  GANTRY_DEBUG_PORT="$(pick_free_port)"
  GANTRY_XDS_PORT="${GANTRY_XDS_PORT:-18000}"
  printf 'GANTRY_ADMIN_PORT=%s\nGANTRY_DEBUG_PORT=%s\nGANTRY_XDS_PORT=%s\n' "$GANTRY_ADMIN_PORT" "$GANTRY_DEBUG_PORT" "$GANTRY_XDS_PORT" >"$CLUSTER_DIR/gantry.env"
}

cluster_start_gantry() {
  gantry_settings
  cluster_already_running gantry-controller && return 0
  local node_ip work
  node_ip="$(gantry_node_ip)"
  if [[ -z "$node_ip" ]]; then
    log "warning: no node agent network (not root?); the controller serves xDS on loopback, and no Envoy Pod will run"
    node_ip=127.0.0.1
  fi
  log "building the controller"
  (cd "$REPO_DIR" && npx tsc -b packages/gatewayclass-controller >&2) || die "controller build failed"

  work="$(mktemp -d "$CLUSTER_DIR/gantry.XXXXXX")"
  gantry_render_chart >"$work/rendered.yaml" || die "helm template charts/gantry failed"
  gantry_split_chart "$work/rendered.yaml" "$work/objects.yaml" "$work/deployment.json"
  log "installing charts/gantry (release $GANTRY_RELEASE in $GANTRY_NAMESPACE) without its Deployment"
  gantry_kubectl create namespace "$GANTRY_NAMESPACE" --dry-run=client -o yaml |
    gantry_kubectl apply --server-side --field-manager=gantry-cluster-up -f - >/dev/null
  gantry_kubectl apply --server-side --force-conflicts --field-manager=gantry-cluster-up \
    -f "$work/objects.yaml" -o name >"$work/applied.txt" || die "applying the chart's objects failed"
  log "applied: $(sed 's|^.*\.[a-z]*/||; s|^[a-z]*/||' "$work/applied.txt" | tr '\n' ' ')"

  local sa node_options
  local -a args
  sa="$(gantry_deployment_field "$work/deployment.json" sa)"
  mapfile -t args < <(gantry_deployment_field "$work/deployment.json" args)
  # The chart's heap settings (NODE_OPTIONS): the local controller runs the Pod's heap policy.
  node_options="$(gantry_deployment_field "$work/deployment.json" env NODE_OPTIONS)"
  rm -rf "$work"
  gantry_write_token_kubeconfig "$sa"

  local -a extra=()
  # shellcheck disable=SC2206 # word splitting intended: a list of arguments
  [[ -n "${GANTRY_LOCAL_ARGS:-}" ]] && extra=(${GANTRY_LOCAL_ARGS})
  log "starting the gantry controller as $GANTRY_NAMESPACE/$sa (xDS $node_ip:$GANTRY_XDS_PORT over mTLS, admin 127.0.0.1:$GANTRY_ADMIN_PORT, debug 127.0.0.1:$GANTRY_DEBUG_PORT${node_options:+, NODE_OPTIONS=$node_options})"
  # The Pod's downward-API env of the chart: the leader election identity and namespace.
  NODE_OPTIONS="$node_options" POD_NAME="gantry-local" POD_NAMESPACE="$GANTRY_NAMESPACE" \
    cluster_spawn gantry-controller node "$GANTRY_CONTROLLER_MAIN" controller "${args[@]}" \
    --kubeconfig "$CLUSTER_DIR/gantry-controller.kubeconfig" \
    --xds-address "$node_ip:$GANTRY_XDS_PORT" \
    --xds-advertise "$node_ip:$GANTRY_XDS_PORT" \
    --admin-address "127.0.0.1:$GANTRY_ADMIN_PORT" \
    --debug-address "127.0.0.1:$GANTRY_DEBUG_PORT" \
    "${extra[@]}"
}

# Ready when /readyz answers 200 (every watch synced, first snapshot published) and the default
# GatewayClass is Accepted.
cluster_wait_gantry_ready() {
  local timeout="${1:-90}" deadline accepted=""
  cluster_running gantry-controller || return 0
  gantry_settings
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$GANTRY_ADMIN_PORT/readyz" || true)" == 200 ]]; then
      accepted="$(gantry_kubectl get gatewayclass "$GANTRY_GATEWAY_CLASS" \
        -o 'jsonpath={.status.conditions[?(@.type=="Accepted")].status}' 2>/dev/null || true)"
      if [[ "$accepted" == True ]]; then
        log "gantry controller ready; GatewayClass $GANTRY_GATEWAY_CLASS Accepted (admin http://127.0.0.1:$GANTRY_ADMIN_PORT, debug http://127.0.0.1:$GANTRY_DEBUG_PORT)"
        return 0
      fi
    fi
    if ! cluster_running gantry-controller; then
      cluster_show_log gantry-controller
      die "the gantry controller exited (log: $CLUSTER_DIR/logs/gantry-controller.log)"
    fi
    sleep 0.2
  done
  cluster_show_log gantry-controller
  die "gantry controller not ready after ${timeout}s (GatewayClass Accepted: ${accepted:-unknown})"
}
