#!/usr/bin/env bash
# Fails if the committed generated code differs from what hack/generate-protos.sh produces now
# (stale after a change to hack/protos.txt, the generator options, or a pinned version).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMITTED="$ROOT/packages/envoy-xds-proto/src/generated"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gantry-verify.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

bash "$ROOT/hack/generate-protos.sh" --out "$TMP/generated" >/dev/null

if ! diff -r -q "$COMMITTED" "$TMP/generated" >"$TMP/diff.txt"; then
  echo "error: packages/envoy-xds-proto/src/generated is stale; run 'npm run generate' and commit the result." >&2
  sed -e "s|$TMP/generated|<fresh>|g" -e "s|$ROOT/||g" "$TMP/diff.txt" | head -50 >&2
  exit 1
fi
echo "generated code is up to date (packages/envoy-xds-proto/src/generated)"
