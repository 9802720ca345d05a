# Shared by the shell checks that run on a local cluster (e2e/cluster-checks, e2e/helm-install):
# the echo backend as a Deployment and its Service, and a Gateway's address once Programmed.
# Source it; callers define k (kubectl) and fail (report and exit), or use running_cluster.

# running_cluster: the cluster `npm run cluster:up` started (GANTRY_CLUSTER_DIR picks another):
# exports its KUBECONFIG (unless set) and sets `kubectl` to the cached one (unless KUBECTL is set).
running_cluster() {
  local repo dir
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  dir="${GANTRY_CLUSTER_DIR:-$repo/.cache/cluster}"
  export KUBECONFIG="${KUBECONFIG:-$dir/admin.kubeconfig}"
  kubectl="${KUBECTL:-$(ls -d "${GANTRY_CACHE:-$HOME/.cache/gantry}"/kube/*/bin/kubectl | tail -n 1)}"
}

# echo_app NAMESPACE NAME REPLICAS [LABEL=VALUE...]: the YAML of a Deployment of the Gateway API
# echo backend (it answers with its Pod's name and namespace), its Pods labelled with the given
# labels (app=NAME when none names app), and, unless SERVICE=0, a Service NAME on port 8080
# selecting app=NAME.
echo_app() {
  local ns="$1" name="$2" replicas="$3" labels=""
  shift 3
  [[ " $* " == *" app="* ]] || labels="app: $name"
  for l in "$@"; do labels+="${labels:+, }${l%%=*}: ${l#*=}"; done
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name, namespace: $ns}
spec:
  replicas: $replicas
  selector: {matchLabels: {$labels}}
  template:
    metadata: {labels: {$labels}}
    spec:
      containers:
        - name: echo
          image: registry.k8s.io/gateway-api/echo-basic:v1.5.1
          env:
            - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
            - {name: NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
          ports: [{containerPort: 3000}]
          readinessProbe: {httpGet: {path: /, port: 3000}}
---
YAML
  if [[ "${SERVICE:-1}" == 1 ]]; then
    cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: $name, namespace: $ns}
spec:
  selector: {app: $name}
  ports: [{name: http, port: 8080, targetPort: 3000}]
---
YAML
  fi
}

# web_gateway NAMESPACE: the YAML of a Gateway `web` of class gantry, one HTTP listener on port 80.
web_gateway() {
  cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: $1}
spec:
  gatewayClassName: gantry
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
YAML
}

# gateway_address NAMESPACE NAME: waits until the Gateway is Programmed and prints its address.
gateway_address() {
  k wait -n "$1" "gateway/$2" --for=condition=Programmed --timeout=120s >/dev/null || fail "Gateway $1/$2 not Programmed"
  local addr
  addr="$(k get gateway -n "$1" "$2" -o jsonpath='{.status.addresses[0].value}')"
  [[ -n "$addr" ]] || fail "Gateway $1/$2 has no address"
  printf '%s\n' "$addr"
}
