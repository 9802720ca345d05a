#!/usr/bin/env bash
# Vendors the Gateway API v1.6.1 experimental-channel CRDs (and the safe-upgrades
# ValidatingAdmissionPolicy that ships beside them) into charts/gantry-crds/templates/gateway-api,
# each file wrapped in `{{- if .Values.gatewayAPI.install }}` so the chart installs them only when
# asked (off by default). The objects are copied verbatim from the download of
# hack/install-gateway-api.sh (pinned and checksummed through hack/deps/gateway-api); the only
# additions are the Helm condition, a `helm.sh/resource-policy: keep` annotation on each CRD behind
# gatewayAPI.keepOnUninstall, and a capability check on the admission policy. Gateway API is
# Apache-2.0 (kubernetes-sigs/gateway-api): its LICENSE is copied to
# charts/gantry-crds/licenses/gateway-api/LICENSE, and every generated file says where it is from.
#
# Usage: hack/generate-gateway-api-crds.sh [--out DIR] [--license-out FILE]
#   (default: the chart's templates/gateway-api and licenses/gateway-api/LICENSE; verify-generated
#   writes elsewhere and compares)
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=generate-gateway-api-crds
ROOT="$(cd "$HACK_DIR/.." && pwd)"

out="$ROOT/charts/gantry-crds/templates/gateway-api"
license_out="$ROOT/charts/gantry-crds/licenses/gateway-api/LICENSE"
while (($# > 0)); do
  case "$1" in
    --out) out="$2"; shift ;;
    --license-out) license_out="$2"; shift ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done

version="$(sed -n 's/^GATEWAY_API_VERSION="\([^"]*\)".*/\1/p' "$HACK_DIR/install-gateway-api.sh")"
[[ -n "$version" ]] || die "no GATEWAY_API_VERSION in hack/install-gateway-api.sh"
crds="${GANTRY_GATEWAY_API_CRDS:-$(bash "$HACK_DIR/install-gateway-api.sh" | tail -n 2 | head -n 1)}"
src="$crds/experimental"
[[ -d "$src" ]] || die "no experimental CRDs in $crds"
# The license of the module the CRDs came from (already in the module cache after the install).
moddir="$(cd "$HACK_DIR/deps/gateway-api" && GOFLAGS=-mod=readonly go mod download -json sigs.k8s.io/gateway-api |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -f "$moddir/LICENSE" ]] || die "no LICENSE in $moddir"
grep -q "Apache License" "$moddir/LICENSE" || die "sigs.k8s.io/gateway-api is no longer Apache-2.0: check before vendoring"

mkdir -p "$out" "$(dirname "$license_out")"
cp "$moddir/LICENSE" "$license_out"
chmod 0644 "$license_out"
rm -f "$out"/*.yaml
for f in "$src"/*.yaml; do
  name="$(basename "$f")"
  node - "$f" "$out/$name" "$version" "$name" <<'JS'
const { readFileSync, writeFileSync } = require('node:fs');
const [file, target, version, name] = process.argv.slice(2);
const body = readFileSync(file, 'utf8');
if (body.includes('{{')) throw new Error(`${name}: contains "{{", which Helm would read as a template`);
const isPolicy = /^kind: ValidatingAdmissionPolicy/m.test(body);
const isCrd = /^kind: CustomResourceDefinition$/m.test(body);
let text = body.endsWith('\n') ? body : `${body}\n`;
if (isCrd) {
  // The first metadata.annotations of the file: the CRD's own.
  const marker = 'metadata:\n  annotations:\n';
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${name}: no metadata.annotations to add the resource policy to`);
  const insert = '{{- if .Values.gatewayAPI.keepOnUninstall }}\n    helm.sh/resource-policy: keep\n{{- end }}\n';
  text = text.slice(0, at + marker.length) + insert + text.slice(at + marker.length);
}
const condition = isPolicy
  ? '{{- if and .Values.gatewayAPI.install (.Capabilities.APIVersions.Has "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy") }}'
  : '{{- if .Values.gatewayAPI.install }}';
const header = [
  `# Gateway API ${version}, experimental channel: config/crd/experimental/${name} of`,
  '# sigs.k8s.io/gateway-api (https://github.com/kubernetes-sigs/gateway-api), Copyright The',
  '# Kubernetes Authors, Apache License 2.0 (charts/gantry-crds/licenses/gateway-api/LICENSE).',
  '# Modified by hack/generate-gateway-api-crds.sh (generated: do not edit): wrapped in a Helm',
  isCrd
    ? '# condition (gatewayAPI.install) and given a helm.sh/resource-policy annotation (keepOnUninstall).'
    : isPolicy
      ? '# condition (gatewayAPI.install, and a cluster serving ValidatingAdmissionPolicy).'
      : '# condition (gatewayAPI.install).',
].join('\n');
writeFileSync(target, `${header}\n${condition}\n${text}{{- end }}\n`);
JS
done
log "wrote $(find "$out" -name '*.yaml' | wc -l) files to ${out#"$ROOT"/} (Gateway API $version experimental)"
