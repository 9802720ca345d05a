# shellcheck shell=bash
# A local Kubernetes control plane in a state directory: etcd, kube-apiserver,
# kube-controller-manager as background processes. Shared by hack/cluster-up.sh,
# hack/cluster-down.sh and (through those scripts) the TypeScript test fixture
# packages/kube/src/testing/control-plane.ts. Sourced, never executed.
#
# State directory layout (CLUSTER_DIR):
#   pki/                         certificates and keys (hack/lib/pki.sh)
#   etcd/                        etcd data
#   ports.env                    the ports chosen on the first start, reused after
#   service.env                  the Service CIDR chosen on the first start (SERVICE_CIDR)
#   admin.kubeconfig             what users and tests use (system:masters)
#   controller-manager.kubeconfig
#   <component>.pid, logs/<component>.log
#
# Every process runs in its own session (setsid) so Ctrl-C on the terminal
# that started it does not take the cluster down, and is found again only
# through its pid file AND its command line naming CLUSTER_DIR, so a recycled
# pid is never signalled.

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=hack/lib/pki.sh
source "$(dirname "${BASH_SOURCE[0]}")/pki.sh"

REPO_DIR="$(cd "$HACK_DIR/.." && pwd)"
CLUSTER_DIR="${GANTRY_CLUSTER_DIR:-$REPO_DIR/.cache/cluster}"
CLUSTER_DIR="$(realpath -m "$CLUSTER_DIR")"
# Exported: the owner watch runs cluster-down.sh, which must find the same dir.
export GANTRY_CLUSTER_DIR="$CLUSTER_DIR"
# The Service range: GANTRY_CLUSTER_SERVICE_CIDR for a new state dir (default 10.96.0.0/16), then
# as recorded in service.env (cluster_service_settings). PKI_SERVICE_IP (pki.sh) is its first
# address, the `kubernetes` Service's ClusterIP, named in the API server's certificate.
SERVICE_CIDR="10.96.0.0/16"
# Ports are picked below the kernel's ephemeral range (32768+), so they never
# collide with the local end of an outgoing connection.
PORT_RANGE_START=20000
PORT_RANGE_SIZE=12000

# Controller-manager: everything on by default except what needs volumes, a
# metrics pipeline or per-node CIDRs, none of which a local cluster has. Kept:
# garbage collector (ownerReferences cleanup), deployment/replicaset,
# namespace, serviceaccount(-token), root CA publisher, endpoint(slice)s,
# node lifecycle, RBAC role aggregation, CSR signing.
KCM_CONTROLLERS="*,-horizontal-pod-autoscaler-controller,-node-ipam-controller"
KCM_CONTROLLERS+=",-persistentvolume-attach-detach-controller,-persistentvolume-binder-controller"
KCM_CONTROLLERS+=",-persistentvolume-expander-controller,-persistentvolume-protection-controller"
KCM_CONTROLLERS+=",-persistentvolumeclaim-protection-controller,-ephemeral-volume-controller"
KCM_CONTROLLERS+=",-volumeattributesclass-protection-controller"

# --- locking -----------------------------------------------------------------

# One up/down at a time per state dir. fd 8 (common.sh's take_lock uses 9);
# cluster_spawn closes both so no background process ever holds a lock.
cluster_lock() {
  mkdir -p "$CLUSTER_DIR"
  exec 8>"$CLUSTER_DIR/.lock"
  flock 8
}

# --- processes ---------------------------------------------------------------

declare -gA LOG_OFFSET=()
# Components this run started, so a failed cluster-up can stop them again.
declare -ga CLUSTER_STARTED=()

# Output of NAME's latest start.
cluster_current_log() {
  tail -c +$((${LOG_OFFSET["$1"]:-0} + 1)) "$CLUSTER_DIR/logs/$1.log" 2>/dev/null || true
}

cluster_pidfile() { printf '%s/%s.pid' "$CLUSTER_DIR" "$1"; }

# Prints the pid of a live component; fails when it is not running. A zombie
# has an empty command line, so it counts as gone.
cluster_pid() {
  local pidfile pid cmdline
  pidfile="$(cluster_pidfile "$1")"
  [[ -s "$pidfile" ]] || return 1
  pid="$(<"$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
  [[ "$cmdline" == *"$CLUSTER_DIR/"* || "$cmdline" == *"$CLUSTER_DIR "* ]] || return 1
  printf '%s\n' "$pid"
}

cluster_running() { cluster_pid "$1" >/dev/null; }

cluster_already_running() {
  local pid
  pid="$(cluster_pid "$1")" || return 1
  log "$1 already running (pid $pid)"
}

# cluster_spawn NAME COMMAND... : starts COMMAND detached, pid in NAME.pid,
# stdout+stderr appended to logs/NAME.log. The wrapper writes its own pid and
# then execs, so the recorded pid is the component itself.
cluster_spawn() {
  local name="$1" pidfile log i
  shift
  pidfile="$(cluster_pidfile "$name")"
  log="$CLUSTER_DIR/logs/$name.log"
  mkdir -p "$CLUSTER_DIR/logs"
  rm -f "$pidfile"
  # Where this start's output begins: a log holds earlier runs too.
  LOG_OFFSET["$name"]="$(stat -c %s "$log" 2>/dev/null || echo 0)"
  printf '\n=== %s starting at %s\n' "$name" "$(date -u +%FT%TZ)" >>"$log"
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'echo "$$" >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$log" 2>&1 8>&- 9>&- &
  CLUSTER_STARTED+=("$name")
  for ((i = 0; i < 200; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.01
  done
  die "$name did not start (see $log)"
}

# cluster_stop TIMEOUT_SECONDS NAME... : TERM to all, KILL whatever is left
# after the timeout, then forget their pid files.
cluster_stop() {
  local timeout="$1" name pid deadline killed=0
  shift
  local -a pids=()
  for name in "$@"; do
    if pid="$(cluster_pid "$name")"; then
      # The reaper ends by running cluster-down.sh in its own process.
      if [[ "$pid" != "$$" ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
        log "stopping $name (pid $pid)"
      fi
    fi
  done
  deadline=$((SECONDS + timeout))
  while ((${#pids[@]} > 0)); do
    local -a alive=()
    for pid in "${pids[@]}"; do
      cluster_pid_alive "$pid" && alive+=("$pid")
    done
    pids=("${alive[@]}")
    ((${#pids[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      if ((killed)); then
        log "error: ${pids[*]} still alive after KILL"
        return 1
      fi
      log "killing ${pids[*]} (no exit ${timeout}s after TERM)"
      kill -KILL "${pids[@]}" 2>/dev/null || true
      killed=1
      deadline=$((SECONDS + 5))
    fi
    sleep 0.05
  done
  for name in "$@"; do
    [[ "$(cat "$(cluster_pidfile "$name")" 2>/dev/null)" == "$$" ]] ||
      rm -f "$(cluster_pidfile "$name")"
  done
}

cluster_pid_alive() {
  local state
  [[ -r "/proc/$1/stat" ]] || return 1
  state="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# --- configuration -------------------------------------------------------------

# True when something already listens on 127.0.0.1:PORT.
port_in_use() {
  (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null
}

pick_free_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((PORT_RANGE_START + (RANDOM * 32768 + RANDOM) % PORT_RANGE_SIZE))
    [[ " ${_picked_ports:-} " == *" $port "* ]] && continue
    port_in_use "$port" && continue
    _picked_ports="${_picked_ports:-} $port"
    printf '%s\n' "$port"
    return 0
  done
  die "no free port found on 127.0.0.1"
}

# Loads ports.env, or picks and records fresh ports (PORTS_FRESH=1 then).
cluster_ports() {
  PORTS_FRESH=0
  if [[ -s "$CLUSTER_DIR/ports.env" ]]; then
    # shellcheck source=/dev/null
    source "$CLUSTER_DIR/ports.env"
    return 0
  fi
  cluster_pick_ports
}

# SERVICE_CIDR and PKI_SERVICE_IP for this state dir. Local clusters on one machine that serve
# ClusterIPs on their bridges (the node agent without --no-cluster-ips) need Service ranges that
# do not overlap, or two of them may want the same address:port on the host.
cluster_service_settings() {
  if [[ -s "$CLUSTER_DIR/service.env" ]]; then
    # shellcheck source=/dev/null
    source "$CLUSTER_DIR/service.env"
  else
    SERVICE_CIDR="${GANTRY_CLUSTER_SERVICE_CIDR:-10.96.0.0/16}"
    mkdir -p "$CLUSTER_DIR"
    printf 'SERVICE_CIDR=%s\n' "$SERVICE_CIDR" >"$CLUSTER_DIR/service.env"
  fi
  [[ "$SERVICE_CIDR" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)/([0-9]+)$ ]] ||
    die "Service CIDR must be IPv4 a.b.c.d/n: $SERVICE_CIDR"
  local -a o=("${BASH_REMATCH[@]:1:5}")
  ((o[4] >= 12 && o[4] <= 28)) || die "Service CIDR prefix must be /12 to /28: $SERVICE_CIDR"
  local n=$(((o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3]) & ~((1 << (32 - o[4])) - 1) & 0xffffffff))
  n=$((n + 1))
  PKI_SERVICE_IP="$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}

cluster_pick_ports() {
  # shellcheck disable=SC2034 # read by cluster-up.sh
  PORTS_FRESH=1
  ETCD_CLIENT_PORT="$(pick_free_port)"
  ETCD_PEER_PORT="$(pick_free_port)"
  APISERVER_PORT="${GANTRY_CLUSTER_APISERVER_PORT:-$(pick_free_port)}"
  printf 'ETCD_CLIENT_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\n' \
    "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" >"$CLUSTER_DIR/ports.env"
}

# Binaries: from the environment when a caller resolved them already (the test
# fixture does, once per process), otherwise from the installers (cache hits
# after the first build).
cluster_resolve_binaries() {
  KUBE_BIN_DIR="${GANTRY_KUBE_BIN_DIR:-$(bash "$HACK_DIR/install-kube.sh" | tail -n 1)}"
  ETCD_BIN="${GANTRY_ETCD:-$(bash "$HACK_DIR/install-etcd.sh" | tail -n 1)}"
  [[ -x "$KUBE_BIN_DIR/kube-apiserver" ]] || die "no kube-apiserver in $KUBE_BIN_DIR"
  [[ -x "$ETCD_BIN" ]] || die "no etcd at $ETCD_BIN"
}

cluster_gateway_api_crds() {
  if [[ -n "${GANTRY_GATEWAY_API_CRDS:-}" ]]; then
    printf '%s\n' "$GANTRY_GATEWAY_API_CRDS"
  else
    bash "$HACK_DIR/install-gateway-api.sh" | tail -n 2 | head -n 1
  fi
}

cluster_server_url() { printf 'https://127.0.0.1:%s' "$APISERVER_PORT"; }

# cluster_write_kubeconfig_with FILE USER CREDENTIALS [NAMESPACE] : a kubeconfig for this cluster
# whose user authenticates with CREDENTIALS (the YAML lines under `user:`, indented four spaces).
# Mode 0600: it holds a key or a token.
cluster_write_kubeconfig_with() {
  local file="$1" user="$2" credentials="$3" namespace="${4:-}"
  (
    umask 077
    cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: gantry-local
  cluster:
    server: $(cluster_server_url)
    certificate-authority-data: $(base64 -w0 "$CLUSTER_DIR/pki/ca.crt")
users:
- name: $user
  user:
$credentials
contexts:
- name: gantry-local
  context:
    cluster: gantry-local
    user: $user${namespace:+
    namespace: $namespace}
current-context: gantry-local
EOF
    mv "$file.tmp" "$file"
  )
}

# cluster_write_kubeconfig FILE USER CERT_NAME : client certificate embedded, so the file stands alone.
cluster_write_kubeconfig() {
  local pki="$CLUSTER_DIR/pki"
  cluster_write_kubeconfig_with "$1" "$2" "    client-certificate-data: $(base64 -w0 "$pki/$3.crt")
    client-key-data: $(base64 -w0 "$pki/$3.key")"
}

# --- components ----------------------------------------------------------------

cluster_start_etcd() {
  cluster_already_running etcd && return 0
  local -a args=(
    --name=gantry
    --data-dir="$CLUSTER_DIR/etcd"
    --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT"
    --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT"
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT"
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT"
    --initial-cluster="gantry=http://127.0.0.1:$ETCD_PEER_PORT"
    --log-level=warn
  )
  # Throwaway test clusters trade durability for speed.
  [[ "${GANTRY_CLUSTER_ETCD_NO_FSYNC:-0}" == 1 ]] && args+=(--unsafe-no-fsync)
  log "starting etcd on 127.0.0.1:$ETCD_CLIENT_PORT"
  cluster_spawn etcd "$ETCD_BIN" "${args[@]}"
}

# Plain HTTP to etcd is deliberate: both ends are on loopback, and client TLS
# would cost startup time and more PKI for no protection.
cluster_start_apiserver() {
  cluster_already_running kube-apiserver && return 0
  local pki="$CLUSTER_DIR/pki"
  log "starting kube-apiserver on $(cluster_server_url)"
  cluster_spawn kube-apiserver "$KUBE_BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$APISERVER_PORT" \
    --cert-dir="$CLUSTER_DIR/apiserver-certs" \
    --tls-cert-file="$pki/apiserver.crt" \
    --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --profiling=false \
    --shutdown-send-retry-after=true
  # (--endpoint-reconciler-type=none: the `kubernetes` Service's endpoint
  # would be 127.0.0.1, which Endpoints validation refuses.)
}

cluster_start_controller_manager() {
  cluster_already_running kube-controller-manager && return 0
  local pki="$CLUSTER_DIR/pki"
  log "starting kube-controller-manager"
  cluster_spawn kube-controller-manager "$KUBE_BIN_DIR/kube-controller-manager" \
    --kubeconfig="$CLUSTER_DIR/controller-manager.kubeconfig" \
    --leader-elect=false \
    --secure-port=0 \
    --controllers="$KCM_CONTROLLERS" \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" \
    --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" \
    --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR"
}

# --- readiness -------------------------------------------------------------------

# cluster_api_status PATH : the HTTP status of an admin GET (000 when unreachable).
cluster_api_status() {
  local pki="$CLUSTER_DIR/pki"
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "$(cluster_server_url)$1" || true
}

# Waits for /readyz. Returns 2 when the API server exited on a port clash (the
# caller may pick new ports), fails on any other exit or on the timeout.
cluster_wait_apiserver_ready() {
  local timeout="${1:-120}" deadline
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    [[ "$(cluster_api_status /readyz)" == 200 ]] && return 0
    local name
    for name in etcd kube-apiserver; do
      if ! cluster_running "$name"; then
        if cluster_current_log "$name" | grep -q 'address already in use'; then
          return 2
        fi
        cluster_show_log "$name"
        die "$name exited during startup (log: $CLUSTER_DIR/logs/$name.log)"
      fi
    done
    sleep 0.1
  done
  cluster_show_log kube-apiserver
  die "kube-apiserver not ready after ${timeout}s (log: $CLUSTER_DIR/logs/kube-apiserver.log)"
}

# The last lines of a component's log, for a failure message. The logs hold
# flags and file paths, never key material.
cluster_show_log() {
  tail -n 15 "$CLUSTER_DIR/logs/$1.log" 2>/dev/null | sed "s/^/[$1] /" >&2 || true
}

# The serviceaccount controller creating `default` in `default` shows the
# controller manager is up and talking to the API server.
cluster_wait_controller_manager() {
  local timeout="${1:-60}" deadline
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    [[ "$(cluster_api_status /api/v1/namespaces/default/serviceaccounts/default)" == 200 ]] && return 0
    if ! cluster_running kube-controller-manager; then
      cluster_show_log kube-controller-manager
      die "kube-controller-manager exited (log: $CLUSTER_DIR/logs/kube-controller-manager.log)"
    fi
    sleep 0.2
  done
  die "kube-controller-manager made no default ServiceAccount in ${timeout}s"
}

# --- CRDs ----------------------------------------------------------------------------

# Gateway API (experimental channel, which includes the standard kinds, plus
# its safe-upgrades ValidatingAdmissionPolicy) and Gantry's own CRDs.
# Server-side apply: the experimental CRDs are too large for the
# last-applied-configuration annotation of a client-side apply. One kubectl
# per file, all at once: the API server digests the big schemas in parallel.
cluster_install_crds() {
  local crds kubectl="$KUBE_BIN_DIR/kubectl" kubeconfig="$CLUSTER_DIR/admin.kubeconfig"
  crds="$(cluster_gateway_api_crds)"
  [[ -d "$crds/experimental" ]] || die "no experimental CRDs in $crds"
  log "installing Gateway API experimental CRDs and charts/gantry-crds"
  local -a files=("$crds/experimental"/*.yaml "$REPO_DIR/charts/gantry-crds/templates"/*.yaml)
  local out i failed=0
  out="$(mktemp -d "$CLUSTER_DIR/crds.XXXXXX")"
  local -a pids=()
  for i in "${!files[@]}"; do
    "$kubectl" --kubeconfig "$kubeconfig" apply --server-side --force-conflicts \
      --field-manager=gantry-cluster-up -o name -f "${files[$i]}" >"$out/$i.out" 2>"$out/$i.err" &
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      failed=1
      sed "s|^|[kubectl apply $(basename "${files[$i]}")] |" "$out/$i.err" >&2
    fi
  done
  local -a names
  mapfile -t names < <(cat "$out"/*.out | grep '^customresourcedefinition')
  rm -rf "$out"
  ((failed == 0)) || die "CRD installation failed"
  ((${#names[@]} > 0)) || die "no CRDs applied"
  # `kubectl wait` fails at once ("accessor error") on a CRD whose status has no conditions yet,
  # which a busy API server can take a moment to write: wait again until the deadline.
  local deadline=$((SECONDS + 60)) err
  until err="$("$kubectl" --kubeconfig "$kubeconfig" wait --for=condition=Established --timeout=30s "${names[@]}" 2>&1 >/dev/null)"; do
    ((SECONDS < deadline)) || die "CRDs not established within 60s: $err"
    sleep 0.5
  done
  log "${#names[@]} CRDs established"
}

# --- owner watch -----------------------------------------------------------------------

# With GANTRY_CLUSTER_OWNER_PID set, a small watcher tears the cluster down and
# removes its state dir once that process is gone: a test run that crashes
# leaves nothing behind. cluster-down.sh stops the watcher first.
cluster_start_reaper() {
  local owner="$1"
  cluster_running reaper && return 0
  # shellcheck disable=SC2016 # expanded by the inner shell
  cluster_spawn reaper bash -c '
    tail --pid="$1" -f /dev/null & watcher=$!
    trap "kill \$watcher 2>/dev/null; exit 0" TERM INT
    wait "$watcher"
    exec bash "$2" --purge' reaper "$owner" "$HACK_DIR/cluster-down.sh" "$CLUSTER_DIR/"
}
