#!/usr/bin/env bash
# Every check of this directory (each a script that sets up what it needs on a running local
# cluster, asserts, and cleans up), one after another; exits non-zero if any failed.
# Usage: e2e/cluster-checks/run.sh   (after `npm run cluster:up`; CI runs it after conformance)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0
for check in "$here"/*.sh; do
  [[ "$(basename "$check")" == run.sh ]] && continue
  echo "==> cluster check $(basename "$check" .sh)" >&2
  bash "$check" || status=1
done
exit "$status"
