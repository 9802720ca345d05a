# shellcheck shell=bash
# Gantry in a local cluster installed by Helm (GANTRY_CLUSTER_INSTALL=helm): `helm install` of
# charts/gantry-crds (with the Gateway API CRDs, gatewayAPI.install=true) and charts/gantry, as a
# user would, and the node agent runs the chart's controller Deployment as a Pod: the image
# `gantry:<tag>` is mapped to the working tree's build (node agent --gantry-controller), and the
# Pod gets what a kubelet gives it (the chart's ServiceAccount token projected at
# /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT pointing at the
# `kubernetes` ClusterIP, which the agent forwards to the API server: --api-service), probes on
# its admin port, its args and env. Envoy Pods reach the xDS Service by its name
# (gantry.gantry-system.svc) through the /etc/hosts the agent gives every Pod (--service-hosts),
# which needs the agent to serve ClusterIPs (no --no-cluster-ips).
#
# Sourced by hack/cluster-up.sh and hack/cluster-down.sh after lib/gantry-local.sh; never executed.
#
# In the state dir: install.env (GANTRY_INSTALL=local|helm, recorded on the first start).
#
# Env:
#   GANTRY_CLUSTER_INSTALL=helm   Helm mode for a new state dir (default: local, lib/gantry-local.sh)
#   GANTRY_LOCAL_VALUES           extra `helm install` arguments for charts/gantry on the first
#                                 install (e.g. "--set logLevel=debug" or "-f my-values.yaml")
#   GANTRY_HELM                   an installed helm (else hack/install-helm.sh)

# The install mode of this state dir: as recorded, else from the environment (then recorded).
gantry_install_mode() {
  if [[ -z "${GANTRY_INSTALL:-}" ]]; then
    if [[ -s "$CLUSTER_DIR/install.env" ]]; then
      # shellcheck source=/dev/null
      source "$CLUSTER_DIR/install.env"
    else
      GANTRY_INSTALL="${GANTRY_CLUSTER_INSTALL:-local}"
      case "$GANTRY_INSTALL" in
        local | helm) ;;
        *) die "GANTRY_CLUSTER_INSTALL must be local or helm, got $GANTRY_INSTALL" ;;
      esac
      mkdir -p "$CLUSTER_DIR"
      printf 'GANTRY_INSTALL=%s\n' "$GANTRY_INSTALL" >"$CLUSTER_DIR/install.env"
    fi
    if [[ -n "${GANTRY_CLUSTER_INSTALL:-}" && "$GANTRY_CLUSTER_INSTALL" != "$GANTRY_INSTALL" ]]; then
      log "warning: $CLUSTER_DIR was created with GANTRY_CLUSTER_INSTALL=$GANTRY_INSTALL; keeping it (cluster-down --purge to change)"
    fi
  fi
  printf '%s\n' "$GANTRY_INSTALL"
}

gantry_helm_mode() { [[ "$(gantry_install_mode)" == helm ]]; }

gantry_helm() {
  local helm="${GANTRY_HELM:-}"
  if [[ -z "$helm" ]]; then
    helm="$(bash "$HACK_DIR/install-helm.sh" | tail -n 1)"
    GANTRY_HELM="$helm"
  fi
  "$helm" --kubeconfig "$CLUSTER_DIR/admin.kubeconfig" "$@"
}

gantry_helm_release_exists() {
  gantry_helm status "$1" --namespace "$GANTRY_NAMESPACE" >/dev/null 2>&1
}

# The working tree's controller build, which the node agent runs for the chart's image.
gantry_build_controller() {
  log "building the controller"
  (cd "$REPO_DIR" && npx tsc -b packages/gatewayclass-controller >&2) || die "controller build failed"
}

# charts/gantry-crds with the Gateway API CRDs, instead of cluster_install_crds' kubectl apply.
# A release already there is left as it is (upgrade it with helm).
cluster_helm_install_crds() {
  if gantry_helm_release_exists "$GANTRY_RELEASE-crds"; then
    log "helm release $GANTRY_RELEASE-crds already installed; leaving it (helm upgrade to change it)"
    return 0
  fi
  log "helm install $GANTRY_RELEASE-crds charts/gantry-crds --set gatewayAPI.install=true (namespace $GANTRY_NAMESPACE)"
  gantry_helm install "$GANTRY_RELEASE-crds" "$REPO_DIR/charts/gantry-crds" \
    --namespace "$GANTRY_NAMESPACE" --create-namespace --set gatewayAPI.install=true --wait --timeout 120s >&2 ||
    die "helm install of charts/gantry-crds failed"
  "$KUBE_BIN_DIR/kubectl" --kubeconfig "$CLUSTER_DIR/admin.kubeconfig" wait --for=condition=Established \
    --timeout=60s crd --all >/dev/null
  log "CRDs established (Gantry's and Gateway API v1.6.1 experimental)"
}

# charts/gantry with its defaults (plus GANTRY_LOCAL_VALUES): the controller Deployment, which the
# node agent runs. A release already there is left as it is.
cluster_helm_install_gantry() {
  if [[ " ${GANTRY_NODE_AGENT_ARGS:-} " == *" --no-cluster-ips "* ]]; then
    log "warning: the node agent does not serve ClusterIPs (GANTRY_NODE_AGENT_ARGS has --no-cluster-ips):"
    log "warning: Envoy Pods cannot reach the xDS Service, so Gateways will not be Programmed"
  fi
  if gantry_helm_release_exists "$GANTRY_RELEASE"; then
    log "helm release $GANTRY_RELEASE already installed; leaving it (helm upgrade to change it;"
    log "kubectl -n $GANTRY_NAMESPACE rollout restart deployment/$GANTRY_RELEASE to run a rebuilt controller)"
    return 0
  fi
  local -a extra=()
  # shellcheck disable=SC2206 # word splitting intended: a list of arguments
  [[ -n "${GANTRY_LOCAL_VALUES:-}" ]] && extra=(${GANTRY_LOCAL_VALUES})
  log "helm install $GANTRY_RELEASE charts/gantry --namespace $GANTRY_NAMESPACE ${extra[*]}"
  gantry_helm install "$GANTRY_RELEASE" "$REPO_DIR/charts/gantry" --namespace "$GANTRY_NAMESPACE" \
    "${extra[@]}" --wait --timeout 180s >&2 || {
    "$KUBE_BIN_DIR/kubectl" --kubeconfig "$CLUSTER_DIR/admin.kubeconfig" -n "$GANTRY_NAMESPACE" get pods -o wide >&2 || true
    die "helm install of charts/gantry failed"
  }
}

# Ready when the Deployment is available and the default GatewayClass is Accepted.
cluster_wait_gantry_helm_ready() {
  local timeout="${1:-90}" k=("$KUBE_BIN_DIR/kubectl" --kubeconfig "$CLUSTER_DIR/admin.kubeconfig")
  "${k[@]}" -n "$GANTRY_NAMESPACE" rollout status "deployment/$GANTRY_RELEASE" --timeout="${timeout}s" >&2 ||
    die "the controller Deployment is not available after ${timeout}s"
  "${k[@]}" wait --for=condition=Accepted --timeout="${timeout}s" "gatewayclass/$GANTRY_GATEWAY_CLASS" >/dev/null ||
    die "GatewayClass $GANTRY_GATEWAY_CLASS not Accepted after ${timeout}s"
  log "gantry controller Pod $("${k[@]}" -n "$GANTRY_NAMESPACE" get pods -l app.kubernetes.io/name=gantry \
    -o 'jsonpath={.items[0].metadata.name} ({.items[0].status.podIP})' 2>/dev/null) Ready; GatewayClass $GANTRY_GATEWAY_CLASS Accepted"
}
