#!/usr/bin/env bash
# Builds the Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler) and kubectl from the Go module proxy. The pinned module graph
# lives in hack/deps/kube (go.mod + go.sum): k8s.io/kubernetes at KUBE_VERSION,
# each k8s.io/* staging module replaced by its matching v0.x release.
#
# Usage: hack/install-kube.sh   -> last stdout line: absolute path of the bin
#                                  directory holding the four binaries
# Env:   GANTRY_CACHE (default ~/.cache/gantry)
# A cold build takes a long while on 2 cores (see the log lines); it runs niced.
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=install-kube

# Must agree with hack/deps/kube/go.mod. (v1.37.2's module zip is refused by
# the Go module proxy, so the pin is v1.37.1.)
KUBE_VERSION="v1.37.1"
KUBE_GIT_COMMIT="f78e722310e50bcaca9276be22276d9e91d91308"
KUBE_BUILD_DATE="2026-09-23T17:06:22Z" # the tag's date: reproducible output

moddir="$HACK_DIR/deps/kube"
install_dir="$GANTRY_CACHE/kube/$KUBE_VERSION"
commands=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

grep -q "k8s.io/kubernetes $KUBE_VERSION\b" "$moddir/go.mod" ||
  die "hack/deps/kube/go.mod does not pin k8s.io/kubernetes $KUBE_VERSION"

# The version stamps `kubectl version` and the API server's /version report.
ldflags=""
major="${KUBE_VERSION#v}"
major="${major%%.*}"
minor="$(cut -d. -f2 <<<"$KUBE_VERSION")"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitCommit=$KUBE_GIT_COMMIT"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$KUBE_BUILD_DATE"
  ldflags+=" -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
done

finalize_kube() {
  local staging="$1" c
  for c in "${commands[@]}"; do
    [[ -x "$staging/bin/$c" ]] || die "build produced no $c"
  done
  "$staging/bin/kube-apiserver" --version >&2
}

pkgs=()
for c in "${commands[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
install_go_tools "kubernetes $KUBE_VERSION (${commands[*]})" "$install_dir" "$moddir" \
  "$ldflags" finalize_kube "${pkgs[@]}"

printf '%s\n' "$install_dir/bin"
