#!/usr/bin/env bash
# Fails if the committed generated code differs from what the generators produce now: the Envoy
# protos (hack/generate-protos.sh: stale after a change to hack/protos.txt, the generator options,
# or a pinned version), Gantry's CRDs (hack/generate-crds.mjs, from @gantry/api) and the vendored
# Gateway API CRDs (hack/generate-gateway-api-crds.sh).
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

# The CRDs: generate into a copy of the chart's templates, then compare.
(cd "$ROOT" && npx tsc -b packages/api)
cp -r "$ROOT/charts/gantry-crds/templates" "$TMP/crds"
node "$ROOT/hack/generate-crds.mjs" --out "$TMP/crds"
if ! diff -r -q "$ROOT/charts/gantry-crds/templates" "$TMP/crds" >"$TMP/crds-diff.txt"; then
  echo "error: charts/gantry-crds/templates is stale; run 'npm run generate' and commit the result." >&2
  sed -e "s|$TMP/crds|<fresh>|g" -e "s|$ROOT/||g" "$TMP/crds-diff.txt" | head -50 >&2
  exit 1
fi
echo "generated CRDs are up to date (charts/gantry-crds/templates)"

# The vendored Gateway API CRDs (hack/generate-gateway-api-crds.sh), with their license.
bash "$ROOT/hack/generate-gateway-api-crds.sh" --out "$TMP/gateway-api" --license-out "$TMP/gateway-api-LICENSE" >/dev/null
if ! diff -r -q "$ROOT/charts/gantry-crds/templates/gateway-api" "$TMP/gateway-api" >"$TMP/gwapi-diff.txt" ||
  ! cmp -s "$ROOT/charts/gantry-crds/licenses/gateway-api/LICENSE" "$TMP/gateway-api-LICENSE"; then
  echo "error: charts/gantry-crds/templates/gateway-api is stale; run 'bash hack/generate-gateway-api-crds.sh' and commit the result." >&2
  sed -e "s|$TMP/gateway-api|<fresh>|g" -e "s|$ROOT/||g" "$TMP/gwapi-diff.txt" | head -50 >&2
  exit 1
fi
echo "vendored Gateway API CRDs are up to date (charts/gantry-crds/templates/gateway-api)"

# The CRD validators compiled at build time (hack/generate-crd-validators.mjs), from the chart above.
GEN_VALIDATORS="$ROOT/packages/gatewayclass-controller/generated/crd-validators"
node "$ROOT/hack/generate-crd-validators.mjs" --out "$TMP/crd-validators" --cel-out "$TMP/crd-cel" >/dev/null
if ! diff -r -q "$GEN_VALIDATORS" "$TMP/crd-validators" >"$TMP/validators-diff.txt"; then
  echo "error: packages/gatewayclass-controller/generated/crd-validators is stale; run 'node hack/generate-crd-validators.mjs' and commit the result." >&2
  sed -e "s|$TMP/crd-validators|<fresh>|g" -e "s|$ROOT/||g" "$TMP/validators-diff.txt" | head -50 >&2
  exit 1
fi
echo "compiled CRD validators are up to date (packages/gatewayclass-controller/generated/crd-validators)"

# The CRDs' CEL rules, generated beside the validators (read by manifests/crd-cel.ts at runtime).
GEN_CEL="$ROOT/packages/gatewayclass-controller/generated/crd-cel"
if ! diff -r -q "$GEN_CEL" "$TMP/crd-cel" >"$TMP/cel-diff.txt"; then
  echo "error: packages/gatewayclass-controller/generated/crd-cel is stale; run 'node hack/generate-crd-validators.mjs' and commit the result." >&2
  sed -e "s|$TMP/crd-cel|<fresh>|g" -e "s|$ROOT/||g" "$TMP/cel-diff.txt" | head -50 >&2
  exit 1
fi
echo "generated CRD CEL rules are up to date (packages/gatewayclass-controller/generated/crd-cel)"
