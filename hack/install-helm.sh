#!/usr/bin/env bash
# Builds Helm v3 (helm.sh/helm/v3/cmd/helm) from the Go module proxy, pinned in
# hack/deps/helm (go.mod + go.sum), with the same version stamps as a release
# build so `helm version` and the default .Capabilities.KubeVersion are right.
#
# Usage: hack/install-helm.sh   -> last stdout line: absolute path of `helm`
# Env:   GANTRY_CACHE (default ~/.cache/gantry)
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=install-helm

HELM_VERSION="v3.22.0" # must agree with hack/deps/helm/go.mod
HELM_GIT_COMMIT="144ca65f8501953fa8b41cd1d37c7223051c85b7"
# Helm's release build derives these from its k8s.io/client-go (v0.37 -> 1.37);
# unset, `helm template` would assume Kubernetes 1.20.
HELM_KUBE_MAJOR="1"
HELM_KUBE_MINOR="37"

moddir="$HACK_DIR/deps/helm"
install_dir="$GANTRY_CACHE/helm/$HELM_VERSION"

grep -q "helm.sh/helm/v3 $HELM_VERSION\\b" "$moddir/go.mod" ||
  die "hack/deps/helm/go.mod does not pin helm.sh/helm/v3 $HELM_VERSION"

ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitCommit=$HELM_GIT_COMMIT"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=$HELM_KUBE_MAJOR -X $pkg.k8sVersionMinor=$HELM_KUBE_MINOR"
done

finalize_helm() {
  local staging="$1"
  [[ -x "$staging/bin/helm" ]] || die "build produced no helm"
  "$staging/bin/helm" version --short >&2
}

install_go_tools "helm $HELM_VERSION" "$install_dir" "$moddir" "$ldflags" \
  finalize_helm helm.sh/helm/v3/cmd/helm

printf '%s\n' "$install_dir/bin/helm"
