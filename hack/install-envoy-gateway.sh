#!/usr/bin/env bash
# Builds Envoy Gateway's controller (a PEER to benchmark against, never part of
# Gantry) from its Go module at a pinned version, fetched through the Go module
# proxy (the go command checks the module against the checksum database).
# Its own go.mod/go.sum pin its dependencies; its replace directives apply
# because it is built as the main module (a copy of the module cache entry).
#
# Usage: hack/install-envoy-gateway.sh   -> last stdout line: absolute path of `envoy-gateway`
# Env:   GANTRY_CACHE (default ~/.cache/gantry), EG_VERSION to override the pin.
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=install-envoy-gateway

EG_VERSION="${EG_VERSION:-v1.9.1}"
EG_MODULE="github.com/envoyproxy/gateway"
install_dir="$GANTRY_CACHE/envoy-gateway/$EG_VERSION"
bin="$install_dir/bin/envoy-gateway"

if [[ ! -x "$bin" || ! -f "$install_dir/.complete" ]]; then
  take_lock "envoy-gateway-$EG_VERSION"
fi
if [[ -x "$bin" && -f "$install_dir/.complete" ]]; then
  log "cached: envoy-gateway $EG_VERSION"
  printf '%s\n' "$bin"
  exit 0
fi

ensure_go
log "downloading $EG_MODULE@$EG_VERSION (Go module proxy)"
src_dir="$(cd "$(mktemp -d)" && go mod download -json "$EG_MODULE@$EG_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$src_dir" ]] || die "go mod download gave no source dir"

staging="$(staging_dir_for "$install_dir")"
trap 'chmod -R u+w "$staging" 2>/dev/null; rm -rf "$staging"' EXIT
cp -r "$src_dir" "$staging/src"
chmod -R u+w "$staging/src"
log "building envoy-gateway $EG_VERSION (several minutes cold, nice'd: the machine is shared)"
(
  cd "$staging/src"
  CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
    nice -n 10 go build -trimpath -ldflags="-s -w" -o "$staging/bin/envoy-gateway" ./cmd/envoy-gateway
) >&2
rm -rf "$staging/src"
"$staging/bin/envoy-gateway" --help >/dev/null 2>&1 || die "built envoy-gateway does not run"
printf '%s\n' "$EG_VERSION" >"$staging/.complete"
publish_dir "$staging" "$install_dir"
trap - EXIT
log "built envoy-gateway $EG_VERSION in $(elapsed)"
printf '%s\n' "$bin"
