// ReferenceGrant: a cross-namespace reference is allowed when a grant in the target namespace
// names the referrer (group, kind, namespace) in `from` and the target (group, kind, optional
// name) in `to`.
import type { ReferenceGrant } from '@gantry/api';

export interface ReferenceFrom {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
}

export interface ReferenceTo {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

/** `grants` are those of the target namespace. */
export function referenceAllowed(grants: readonly ReferenceGrant[], from: ReferenceFrom, to: ReferenceTo): boolean {
  for (const g of grants) {
    const spec = g.spec;
    if (!spec) continue;
    const fromOk = (spec.from ?? []).some(
      (f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
    );
    if (!fromOk) continue;
    const toOk = (spec.to ?? []).some(
      // An empty name names nothing (the API server refuses it: minLength 1); only an absent one means any.
      (t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === null || t.name === to.name),
    );
    if (toOk) return true;
  }
  return false;
}
