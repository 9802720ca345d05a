#!/usr/bin/env bash
# Installs Gateway API v1.6.1 from the Go module proxy (pinned in
# hack/deps/gateway-api, go.mod + go.sum):
#   - the standard and experimental channel CRDs, copied from the module's
#     config/crd/{standard,experimental} (ready for `kubectl apply -f DIR`;
#     each dir also holds the safe-upgrades ValidatingAdmissionPolicy),
#   - the conformance echo backend (conformance/echo-basic) as bin/echo-basic.
#     It listens on all interfaces: HTTP_PORT (3000), H2C_PORT (3001),
#     HTTPS_PORT (8443, only with TLS_SERVER_CERT/TLS_SERVER_PRIVKEY), and
#     echoes requests as JSON with POD_NAME, NAMESPACE, SERVICE_NAME, INGRESS_NAME.
#
# Usage: hack/install-gateway-api.sh
#   stdout, last two lines: the CRD directory (holding standard/ and
#   experimental/), then the absolute path of echo-basic (the last line).
# Env:   GANTRY_CACHE (default ~/.cache/gantry)
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=install-gateway-api

GATEWAY_API_VERSION="v1.6.1" # must agree with hack/deps/gateway-api/go.mod
moddir="$HACK_DIR/deps/gateway-api"
install_dir="$GANTRY_CACHE/gateway-api/$GATEWAY_API_VERSION"

grep -q "^require sigs.k8s.io/gateway-api $GATEWAY_API_VERSION\$" "$moddir/go.mod" ||
  die "hack/deps/gateway-api/go.mod does not pin sigs.k8s.io/gateway-api $GATEWAY_API_VERSION"

# Runs inside the staging dir before it is published, so CRDs and binary
# appear together or not at all.
finalize_gateway_api() {
  local staging="$1" src channel f
  # Download through the pinned module so go.sum verifies the content.
  src="$(cd "$moddir" && GOFLAGS=-mod=readonly go mod download -json sigs.k8s.io/gateway-api |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$src/config/crd/standard" ]] || die "no config/crd/standard in $src"
  for channel in standard experimental; do
    mkdir -p "$staging/crds/$channel"
    for f in "$src/config/crd/$channel"/*.yaml; do
      # kustomization.yaml is no Kubernetes object; `kubectl apply -f DIR` would reject it.
      [[ "$(basename "$f")" == kustomization.yaml ]] && continue
      cp "$f" "$staging/crds/$channel/"
    done
  done
  # The module cache is read-only; copies must stay removable.
  chmod -R u+w "$staging/crds"
  log "CRDs: $(find "$staging/crds/standard" -name '*.yaml' | wc -l) standard, $(find "$staging/crds/experimental" -name '*.yaml' | wc -l) experimental files"
  [[ -x "$staging/bin/echo-basic" ]] || die "build produced no echo-basic"
}

install_go_tools "gateway-api $GATEWAY_API_VERSION (CRDs, echo-basic)" "$install_dir" "$moddir" \
  "" finalize_gateway_api sigs.k8s.io/gateway-api/conformance/echo-basic

printf '%s\n' "$install_dir/crds"
printf '%s\n' "$install_dir/bin/echo-basic"
