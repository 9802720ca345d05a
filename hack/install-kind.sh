#!/usr/bin/env bash
# Builds kind (sigs.k8s.io/kind) from the Go module proxy, pinned in hack/deps/kind (go.mod +
# go.sum), for the kind path (hack/kind/). kind itself needs Docker (or Podman) to run clusters.
#
# Usage: hack/install-kind.sh   -> last stdout line: absolute path of `kind`
# Env:   GANTRY_CACHE (default ~/.cache/gantry)
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=install-kind

KIND_VERSION="v0.33.0" # must agree with hack/deps/kind/go.mod
moddir="$HACK_DIR/deps/kind"
install_dir="$GANTRY_CACHE/kind/$KIND_VERSION"

grep -q "sigs.k8s.io/kind $KIND_VERSION\\b" "$moddir/go.mod" ||
  die "hack/deps/kind/go.mod does not pin sigs.k8s.io/kind $KIND_VERSION"

finalize_kind() {
  local staging="$1"
  [[ -x "$staging/bin/kind" ]] || die "build produced no kind"
  "$staging/bin/kind" version >&2
}

install_go_tools "kind $KIND_VERSION" "$install_dir" "$moddir" "" finalize_kind sigs.k8s.io/kind

printf '%s\n' "$install_dir/bin/kind"
