#!/usr/bin/env bash
# Stops the processes hack/cluster-up.sh started for a state dir (by their
# recorded pids: TERM, then KILL after a timeout).
#
# Usage: hack/cluster-down.sh [--purge] [--only COMPONENT]
#   --purge           also delete the state dir (certificates, etcd data, logs)
#   --only COMPONENT  stop just one of etcd, kube-apiserver,
#                     kube-controller-manager, node-agent, gantry-controller (a later cluster-up starts it
#                     again on the same port)
# Env:   GANTRY_CLUSTER_DIR (default <repo>/.cache/cluster)
#        GANTRY_CLUSTER_STOP_TIMEOUT seconds before KILL (default 15)
set -euo pipefail

# shellcheck source=hack/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
# shellcheck source=hack/lib/node-agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/node-agent.sh"
# shellcheck source=hack/lib/gantry-local.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/gantry-local.sh"
LOG_PREFIX=cluster-down

purge=0
only=""
while (($# > 0)); do
  case "$1" in
    --purge) purge=1 ;;
    --only)
      only="${2:-}"
      shift
      ;;
    *) die "unknown argument: $1 (usage: cluster-down.sh [--purge] [--only COMPONENT])" ;;
  esac
  shift
done

if [[ ! -d "$CLUSTER_DIR" ]]; then
  log "nothing to stop: no $CLUSTER_DIR"
  exit 0
fi

timeout="${GANTRY_CLUSTER_STOP_TIMEOUT:-15}"
cluster_lock
if [[ -n "$only" ]]; then
  case "$only" in
    etcd | kube-apiserver | kube-controller-manager | gantry-controller) cluster_stop "$timeout" "$only" ;;
    node-agent)
      cluster_stop "$timeout" node-agent
      cluster_node_agent_cleanup
      ;;
    *) die "unknown component: $only" ;;
  esac
  exit 0
fi

# The watcher first, so it cannot race this run; then the clients of the API
# server and the API server together; etcd last, so nothing loses its store
# while still shutting down.
cluster_stop "$timeout" reaper
# Gantry's controller first: a client whose Envoys the node agent is about to stop.
cluster_stop "$timeout" gantry-controller
# The node agent while the API server is still there: it stops its Pods and removes its
# namespaces, bridge and addresses; the cleanup sweeps up after an agent that was killed.
cluster_stop "$timeout" node-agent
cluster_node_agent_cleanup
cluster_stop "$timeout" kube-controller-manager kube-apiserver
cluster_stop "$timeout" etcd

if ((purge)); then
  # Anything still alive there would keep writing into the deleted dir.
  for name in etcd kube-apiserver kube-controller-manager node-agent gantry-controller; do
    cluster_running "$name" && die "$name is still running; not purging"
  done
  exec 8>&-
  rm -rf "$CLUSTER_DIR"
  log "stopped; removed $CLUSTER_DIR"
else
  log "stopped; state kept in $CLUSTER_DIR"
fi
