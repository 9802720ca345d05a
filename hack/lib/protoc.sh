# shellcheck shell=bash
# Provides a pinned protoc: PyPI's grpcio-tools bundles protoc (and the well-known .proto files) as
# `python3 -m grpc_tools.protoc`. It is installed once into the Gantry cache and reused afterwards.
# Source this file, then call `ensure_protoc`; it sets the PROTOC array to the command to run.

GRPCIO_TOOLS_VERSION="1.85.1"

ensure_protoc() {
  local python="${PYTHON:-python3}"
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: $python is required to run protoc (grpcio-tools from PyPI)" >&2
    return 1
  fi
  local pyver
  pyver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  local cache="${GANTRY_CACHE:-$HOME/.cache/gantry}"
  # The wheel is CPython-version specific, so the Python version is part of the cache key.
  local dir="$cache/grpcio-tools/${GRPCIO_TOOLS_VERSION}-py${pyver}"
  if [[ ! -f "$dir/.complete" ]]; then
    echo "installing grpcio-tools==${GRPCIO_TOOLS_VERSION} into $dir" >&2
    mkdir -p "$cache/grpcio-tools"
    local tmp
    tmp="$(mktemp -d "$cache/grpcio-tools/.install.XXXXXX")"
    if ! PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
      --target "$tmp" "grpcio-tools==${GRPCIO_TOOLS_VERSION}" >&2; then
      rm -rf "$tmp"
      echo "error: could not install grpcio-tools==${GRPCIO_TOOLS_VERSION}" >&2
      return 1
    fi
    touch "$tmp/.complete"
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  # shellcheck disable=SC2034 # read by the sourcing script
  PROTOC=(env "PYTHONPATH=$dir" "$python" -m grpc_tools.protoc)
}
