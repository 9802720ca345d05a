// A real API server with one of Gantry's CRDs installed from charts/gantry-crds, and kubectl
// against it: what the CRD tests need to see what a user sees.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '@gantry/kube/testing/control-plane';
import { CHARTS } from '../../charts/testing/helm.js';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CrdCluster {
  readonly cp: ControlPlane;
  kubectl(args: readonly string[], stdin?: string): Promise<KubectlResult>;
  /** `kubectl apply -f -` of one object of the CRD's kind in `namespace`. */
  apply(kind: string, namespace: string, name: string, spec: unknown): Promise<KubectlResult>;
  stop(): Promise<void>;
}

/**
 * Starts a control plane, installs `templates/<file>` of charts/gantry-crds server-side and waits
 * until the API server serves `plural` (discovery catches up a moment after Established).
 */
export async function startCrdCluster(file: string, plural: string, namespace = 'default'): Promise<CrdCluster> {
  const cp = await startControlPlane();
  const kubectl = (args: readonly string[], stdin?: string): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile(cp.kubectl, [...cp.kubectlArgs, ...args], { maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (stdin !== undefined) child.stdin?.end(stdin);
    });
  const fail = async (what: string, r: KubectlResult): Promise<never> => {
    await cp.stop();
    throw new Error(`${what}: ${r.stderr}`);
  };
  const installed = await kubectl(['apply', '--server-side', '-f', join(CHARTS.crds, 'templates', file)]);
  if (installed.stderr !== '') await fail(`installing ${file}`, installed);
  const established = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${plural}.gateway.gantry.dev`]);
  if (established.stderr !== '') await fail(`waiting for ${plural}`, established);
  for (let i = 0; i < 100; i++) {
    if ((await kubectl(['get', plural, '-n', namespace])).code === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    cp,
    kubectl,
    apply: (kind, ns, name, spec) =>
      kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'gateway.gantry.dev/v1alpha1', kind, metadata: { name, namespace: ns }, ...(spec === undefined ? {} : { spec }) })),
    stop: () => cp.stop(),
  };
}

/** kubectl's table output as cells, split at the header's column starts (empty cells stay empty). */
export function table(stdout: string): string[][] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const starts = [...(lines[0] ?? '').matchAll(/\S+/g)].map((m) => m.index);
  return lines.map((l) => starts.map((start, i) => l.slice(start, starts[i + 1]).trim()));
}
