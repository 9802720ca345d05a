// Test helpers: multi-document YAML → Snapshot (namespaced objects without a namespace go to
// "default"), and the printable form of a translation used by the golden files. Not the CLI
// loader (that one reports errors to users); this one trusts its input.
import { parseAllDocuments, stringify } from 'yaml';
import { redactIR, type GatewayIR, type RouteIR } from '@gantry/ir';
import { kindSpec, snapshotOf, type KubeObject, type Snapshot } from '@gantry/api';
import type { TranslationResult } from '../core/translator.js';

export function snapshotFromYaml(text: string): Snapshot {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length > 0) throw new Error(`YAML: ${doc.errors[0]?.message}`);
    const o = doc.toJS() as KubeObject | null;
    if (!o || typeof o !== 'object') continue;
    if (kindSpec(o.kind)?.namespaced !== false && !o.metadata.namespace) o.metadata.namespace = 'default';
    objects.push(o);
  }
  return snapshotOf(objects);
}

export { snapshotOf };

/**
 * Private keys redacted; certificate chains shortened (they only echo the input); the
 * GatewayClass feature list shortened unless asked for (it is the same in every case).
 */
export function printable(result: TranslationResult, opts: { features?: boolean } = {}): { gateways: GatewayIR[]; statuses: unknown[] } {
  const gateways = [...result.gateways.values()].map((ir) => {
    const r = redactIR(ir);
    return {
      ...r,
      secrets: r.secrets.map((s) => ({ ...s, certificateChain: `<${(s.certificateChain.match(/BEGIN CERTIFICATE/g) ?? []).length} PEM certificate(s)>` })),
    };
  });
  const statuses = result.statuses.map((r) => {
    if (r.kind !== 'GatewayClass' || opts.features) return r;
    const s = r.status as { supportedFeatures?: unknown[] };
    return { ...r, status: { ...s, supportedFeatures: `<${s.supportedFeatures?.length ?? 0} features>` } };
  });
  return { gateways, statuses };
}

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Every route of a Gateway's IR, across listeners, filter chains and virtual hosts. */
export function routesOf(ir: GatewayIR | undefined): RouteIR[] {
  return (ir?.listeners ?? []).flatMap((l) => l.filterChains.flatMap((c) => c.routeConfig.virtualHosts.flatMap((v) => [...v.routes])));
}
