// HTTPRoutes and GRPCRoutes with intersecting hostnames on one listener, change by change: a
// route's verdict follows the others (the older one leaving lets the newer one in), and the
// incremental translator always equals a fresh translation.
import { describe, expect, it } from '@jest/globals';
import { validate } from '@gantry/ir';
import type { Snapshot } from '@gantry/api';
import { GatewayTranslator, translate } from '../index.js';
import { printable, snapshotFromYaml, toYaml } from '../testing/index.js';

const BASE = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec: {controllerName: gantry.dev/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default, generation: 1}
spec:
  gatewayClassName: gantry
  listeners:
  - {name: http, port: 80, protocol: HTTP}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: default}
spec: {ports: [{name: p, port: 80, targetPort: 8080}]}
`;

function route(kind: 'HTTPRoute' | 'GRPCRoute', name: string, created: string, host: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: {name: ${name}, namespace: default, generation: 1, creationTimestamp: "${created}"}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["${host}"]
  rules: [{backendRefs: [{name: s, port: 80}]}]`;
}

const world = (...docs: string[]): Snapshot => snapshotFromYaml([BASE, ...docs].join('\n---\n'));

function verdicts(out: ReturnType<GatewayTranslator['translate']>): string[] {
  const list: string[] = [];
  for (const s of out.statuses) {
    if (s.kind !== 'HTTPRoute' && s.kind !== 'GRPCRoute') continue;
    const accepted = (s.status as { parents: { conditions: { type: string; status: string; reason: string }[] }[] }).parents[0]?.conditions.find((c) => c.type === 'Accepted');
    list.push(`${s.kind} ${s.name}: ${accepted?.status}/${accepted?.reason}`);
  }
  return list.sort();
}

describe('HTTPRoute and GRPCRoute hostname conflicts, change by change', () => {
  it('follow the other routes and equal a fresh translation', () => {
    const h = route('HTTPRoute', 'h', '2026-01-01T00:00:00Z', 'a.example.com');
    const g = route('GRPCRoute', 'g', '2026-02-01T00:00:00Z', '*.example.com');
    const gOlder = route('GRPCRoute', 'g', '2025-01-01T00:00:00Z', '*.example.com');
    const gElsewhere = route('GRPCRoute', 'g', '2026-02-01T00:00:00Z', 'b.example.com');
    const steps: [Snapshot, string[]][] = [
      [world(h), ['HTTPRoute h: True/Accepted']],
      [world(h, g), ['GRPCRoute g: False/HostnameConflict', 'HTTPRoute h: True/Accepted']],
      // g becomes the older one: the verdicts swap, h (unchanged) is rejected now.
      [world(h, gOlder), ['GRPCRoute g: True/Accepted', 'HTTPRoute h: False/HostnameConflict']],
      [world(h, gElsewhere), ['GRPCRoute g: True/Accepted', 'HTTPRoute h: True/Accepted']],
      [world(h, g), ['GRPCRoute g: False/HostnameConflict', 'HTTPRoute h: True/Accepted']],
      // h leaves: g (unchanged) is accepted.
      [world(g), ['GRPCRoute g: True/Accepted']],
    ];
    const t = new GatewayTranslator();
    for (const [i, [snapshot, expected]] of steps.entries()) {
      const got = t.translate(snapshot);
      const fresh = translate(snapshot);
      expect({ step: i, out: toYaml(printable(got)) }).toEqual({ step: i, out: toYaml(printable(fresh)) });
      expect({ step: i, verdicts: verdicts(got) }).toEqual({ step: i, verdicts: expected });
      for (const ir of got.gateways.values()) expect(validate(ir)).toEqual([]);
      const gw = got.statuses.find((s) => s.kind === 'Gateway')?.status as { listeners: { attachedRoutes: number }[] };
      expect({ step: i, attached: gw.listeners[0]?.attachedRoutes }).toEqual({ step: i, attached: expected.filter((v) => v.includes('True')).length });
    }
  });
});
