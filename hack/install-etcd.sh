#!/usr/bin/env bash
# Builds etcd from the Go module proxy: the etcd server's own main package
# (go.etcd.io/etcd/server/v3), pinned in hack/deps/etcd (go.mod + go.sum).
# The minor version follows what the pinned Kubernetes expects (kubeadm's
# DefaultEtcdVersion for v1.37 is 3.7.0); the patch is the newest 3.7.
#
# Usage: hack/install-etcd.sh   -> last stdout line: absolute path of `etcd`
# Env:   GANTRY_CACHE (default ~/.cache/gantry)
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=install-etcd

ETCD_VERSION="v3.7.3" # must agree with hack/deps/etcd/go.mod
moddir="$HACK_DIR/deps/etcd"
install_dir="$GANTRY_CACHE/etcd/$ETCD_VERSION"

grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION\\b" "$moddir/go.mod" ||
  die "hack/deps/etcd/go.mod does not pin go.etcd.io/etcd/server/v3 $ETCD_VERSION"

# `go build` names the binary after the package path's last non-version
# element ("server"); everything downstream expects `etcd`.
finalize_etcd() {
  local staging="$1"
  mv "$staging/bin/server" "$staging/bin/etcd"
  "$staging/bin/etcd" --version >&2
}

# (`etcd --version` reports "Git SHA: Not provided": the proxy's module zip
# records no commit for this module, so there is nothing honest to stamp.)
install_go_tools "etcd $ETCD_VERSION" "$install_dir" "$moddir" "" \
  finalize_etcd go.etcd.io/etcd/server/v3

printf '%s\n' "$install_dir/bin/etcd"
