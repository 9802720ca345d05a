#!/usr/bin/env bash
# The multi-cluster check in one command: a cluster pair up (hack/cluster-pair.sh; A's Gantry with
# --remote-cluster-stale-after 20s so the outage step is short), e2e/multi-cluster/failover.sh,
# then the pair down and purged (also on failure). Needs root. Takes about 3-4 minutes; not in CI.
# Usage: npm run test:multi-cluster   (GANTRY_PAIR_* choose bridges and ranges; see cluster-pair.sh)
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GANTRY_PAIR_STALE_AFTER="${GANTRY_PAIR_STALE_AFTER:-20s}"
down() { bash "$repo/hack/cluster-pair.sh" down --purge >/dev/null 2>&1 || true; }
trap down EXIT
bash "$repo/hack/cluster-pair.sh" up >/dev/null || exit 1
bash "$repo/e2e/multi-cluster/failover.sh"
