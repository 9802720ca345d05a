#!/usr/bin/env bash
# Starts a local Kubernetes control plane (etcd, kube-apiserver on 127.0.0.1,
# kube-controller-manager) with generated certificates, a node agent that runs
# Pods as local processes (e2e/node-agent), installs the Gateway
# API v1.6.1 experimental-channel CRDs and Gantry's CRDs (charts/gantry-crds),
# and prints `KUBECONFIG=<absolute path>` as the last stdout line.
#
# Idempotent: components already running are left alone, stopped ones are
# started again on the ports recorded in the state dir, CRDs are re-applied.
# Stop with hack/cluster-down.sh (npm run cluster:down).
#
# Usage: hack/cluster-up.sh            (npm run cluster:up)
# Env:
#   GANTRY_CLUSTER_DIR   state dir: pki, etcd data, pids, logs, kubeconfig
#                        (default <repo>/.cache/cluster, gitignored)
#   GANTRY_CLUSTER_APISERVER_PORT  fixed API server port for a new state dir
#                        (default: a free port, recorded in ports.env)
#   GANTRY_CLUSTER_CONTROLLER_MANAGER=0  no kube-controller-manager
#   GANTRY_CLUSTER_CRDS=0                no CRD installation
#   GANTRY_CLUSTER_NODE_AGENT=0          no node agent (hack/lib/node-agent.sh: it
#                        runs Pods as processes; needs root; more settings there)
#   GANTRY_CLUSTER_GANTRY=0              no Gantry (hack/lib/gantry-local.sh: the chart's
#                        RBAC and GatewayClass, the controller from the working tree)
#   GANTRY_CLUSTER_INSTALL=helm          for a new state dir: `helm install` charts/gantry-crds
#                        (with the Gateway API CRDs) and charts/gantry, the controller Deployment
#                        run as a Pod by the node agent (hack/lib/gantry-helm.sh). Default: local
#   GANTRY_CLUSTER_SERVICE_CIDR          Service range of a new state dir (default 10.96.0.0/16);
#                        give each cluster on the machine that serves ClusterIPs its own
#   GANTRY_CLUSTER_ETCD_NO_FSYNC=1       etcd --unsafe-no-fsync (throwaway clusters)
#   GANTRY_CLUSTER_OWNER_PID=PID         tear down and purge when PID exits
#   GANTRY_KUBE_BIN_DIR, GANTRY_ETCD, GANTRY_GATEWAY_API_CRDS
#                        already-installed artefacts (skip the installers)
#   GANTRY_CACHE         installer cache (default ~/.cache/gantry)
set -euo pipefail

# shellcheck source=hack/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
# shellcheck source=hack/lib/node-agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/node-agent.sh"
# shellcheck source=hack/lib/gantry-local.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/gantry-local.sh"
# shellcheck source=hack/lib/gantry-helm.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/gantry-helm.sh"
LOG_PREFIX=cluster-up

# A failed start leaves nothing of its own running (what was already up stays).
stop_on_failure() {
  local status=$?
  if ((status != 0 && ${#CLUSTER_STARTED[@]} > 0)); then
    log "startup failed; stopping ${CLUSTER_STARTED[*]}"
    cluster_stop 10 "${CLUSTER_STARTED[@]}" || true
  fi
}
trap stop_on_failure EXIT

# Host tools a fresh machine may lack (Debian packages installed when missing).
ensure_command openssl openssl
ensure_command curl curl
ensure_command setsid util-linux
ensure_command flock util-linux

cluster_lock
cluster_resolve_binaries
cluster_service_settings
install_mode="$(gantry_install_mode)"
pki_ensure "$CLUSTER_DIR/pki"
cluster_ports

# A port picked for a new state dir can be taken between the check and the
# bind; then pick again (only then: a recorded port is the cluster's address).
for attempt in 1 2 3; do
  cluster_write_kubeconfig "$CLUSTER_DIR/admin.kubeconfig" gantry-admin admin
  cluster_write_kubeconfig "$CLUSTER_DIR/controller-manager.kubeconfig" \
    system:kube-controller-manager controller-manager
  cluster_start_etcd
  cluster_start_apiserver
  status=0
  cluster_wait_apiserver_ready 120 || status=$?
  ((status == 0)) && break
  if ((status == 2 && PORTS_FRESH == 1 && attempt < 3)) && [[ -z "${GANTRY_CLUSTER_APISERVER_PORT:-}" ]]; then
    log "port clash; picking new ports"
    cluster_stop 10 kube-apiserver etcd
    rm -rf "$CLUSTER_DIR/etcd"
    cluster_pick_ports
    continue
  fi
  cluster_show_log kube-apiserver
  cluster_show_log etcd
  die "a port is taken by another process ($(tr '\n' ' ' <"$CLUSTER_DIR/ports.env"))"
done
log "kube-apiserver ready at $(cluster_server_url) (${SECONDS}s)"

if [[ "${GANTRY_CLUSTER_CONTROLLER_MANAGER:-1}" == 1 ]]; then
  cluster_start_controller_manager
fi
if [[ "${GANTRY_CLUSTER_CRDS:-1}" == 1 ]]; then
  if [[ "$install_mode" == helm ]]; then
    cluster_helm_install_crds # the Gateway API CRDs through charts/gantry-crds
  else
    cluster_install_crds
  fi
fi
if [[ "${GANTRY_CLUSTER_CONTROLLER_MANAGER:-1}" == 1 ]]; then
  cluster_wait_controller_manager 60
fi
if [[ "$install_mode" == helm ]] && gantry_enabled; then
  gantry_build_controller # what the node agent runs for the chart's image
fi
if node_agent_enabled; then
  cluster_start_node_agent
  cluster_wait_node_ready 60
fi
# Gantry as charts/gantry installs it, the controller from the working tree (lib/gantry-local.sh).
if gantry_enabled && [[ "$install_mode" == helm ]]; then
  # Gantry installed by Helm, the controller a Pod (lib/gantry-helm.sh).
  cluster_helm_install_gantry
  cluster_wait_gantry_helm_ready 90
elif gantry_enabled; then
  cluster_start_gantry
  cluster_wait_gantry_ready 90
fi
if [[ -n "${GANTRY_CLUSTER_OWNER_PID:-}" ]]; then
  cluster_start_reaper "$GANTRY_CLUSTER_OWNER_PID"
fi

log "up in ${SECONDS}s; state and logs in $CLUSTER_DIR"
log "kubectl: $KUBE_BIN_DIR/kubectl --kubeconfig $CLUSTER_DIR/admin.kubeconfig get crds"
log "stop:    npm run cluster:down   (add -- --purge to delete the state dir)"
printf 'KUBECONFIG=%s\n' "$CLUSTER_DIR/admin.kubeconfig"
