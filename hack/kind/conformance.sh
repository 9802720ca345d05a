#!/usr/bin/env bash
# The conformance runner (e2e/conformance/run.sh, the same as on the local cluster) against the
# kind cluster of hack/kind/up.sh. Options are run.sh's: --core, --run-test NAME, ...
set -euo pipefail

# shellcheck source=hack/kind/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=kind-conformance

kind_tools
kind_cluster_exists || die "no kind cluster $KIND_CLUSTER: run hack/kind/up.sh first"
"$KUBECTL" config use-context "$KIND_CONTEXT" >/dev/null
# The runner's Go client reads the current context of $KUBECONFIG (or ~/.kube/config).
E2E_CLUSTER=kind exec bash "$REPO_DIR/e2e/conformance/run.sh" "$@"
