// `gantry translate`: the offline path. Same translators as the controller, printing xDS, status,
// the IR, or a runnable static Envoy bootstrap.
import { redactIR, type GatewayIR } from '@gantry/ir';
// Subpaths, not the package index: the ADS server (grpc-js) is no part of an offline run.
import { snapshotToEnvoyJson, translateXds } from '@gantry/xds/translator/index';
import { staticBootstrap } from '@gantry/xds/bootstrap/index';
import { buildSnapshot, formatManifestError, loadManifestFiles } from '../manifests/load.js';
import { translate, type StatusReport } from '@gantry/translator';
import { expandManifestPaths } from '../manifests/files.js';
import { yamlModule } from '../manifests/yaml-lazy.js';

// Shared objects (the translator reuses condition lists) print in full, never as YAML aliases.
const YAML_OPTIONS = { aliasDuplicateObjects: false } as const;

export type TranslateOutput = 'xds' | 'status' | 'bootstrap' | 'ir';
export const TRANSLATE_OUTPUTS: readonly TranslateOutput[] = ['xds', 'status', 'bootstrap', 'ir'];

export interface TranslateArgs {
  readonly files: readonly string[];
  readonly gateway?: string;
  readonly output: TranslateOutput;
  readonly listenAddress: string;
  readonly adminPort: number;
  /** The install namespace: its Upstreams may name Services in any namespace (default gantry-system). */
  readonly installNamespace?: string;
  /** Refuse backendRefs to Services: routes must name Upstreams. */
  readonly disableKubernetesDestinations?: boolean;
}

/** What the command prints, or the error it exits with. */
export type CommandResult = { ok: true; stdout: string } | { ok: false; stderr: string };

export async function runTranslate(args: TranslateArgs): Promise<CommandResult> {
  const files = await expandManifestPaths(args.files);
  if (files.length === 0) return { ok: false, stderr: 'no manifest files found' };
  const { objects, errors } = await loadManifestFiles(files);
  if (errors.length > 0) {
    return { ok: false, stderr: errors.map(formatManifestError).join('\n') };
  }
  const result = translate(buildSnapshot(objects), {
    ...(args.installNamespace !== undefined ? { installNamespace: args.installNamespace } : {}),
    ...(args.disableKubernetesDestinations ? { disableKubernetesDestinations: true } : {}),
  });

  if (args.output === 'status') return { ok: true, stdout: statusYaml(result.statuses) };

  const selected = selectGateways(result.gateways, args.gateway);
  if (!selected.ok) return selected;
  const gateways = selected.gateways;

  switch (args.output) {
    case 'ir':
      return { ok: true, stdout: gateways.map((ir) => yamlModule().stringify(redactIR(ir), YAML_OPTIONS)).join('---\n') };
    case 'xds': {
      const docs = gateways.map((ir) => ({
        gateway: ir.key,
        // One readable table per port (as the goldens print it); served, a large table is split
        // in scoped shards (docs/architecture.md), with the same virtual hosts and routes.
        resources: snapshotToEnvoyJson(translateXds(ir, { listenAddress: args.listenAddress, routeLayout: 'single' })),
      }));
      return { ok: true, stdout: `${JSON.stringify(args.gateway !== undefined ? docs[0] : docs, null, 2)}\n` };
    }
    case 'bootstrap': {
      if (gateways.length !== 1) {
        return { ok: false, stderr: `--output bootstrap needs one Gateway; choose one with --gateway (${gateways.map((g) => g.key).join(', ')})` };
      }
      const ir = gateways[0]!;
      // Static resources carry each route table inline: served whole, not in scopes.
      const bootstrap = staticBootstrap(translateXds(ir, { listenAddress: args.listenAddress, routeLayout: 'single' }), {
        gatewayKey: ir.key,
        adminPort: args.adminPort,
      });
      return { ok: true, stdout: `${JSON.stringify(bootstrap, null, 2)}\n` };
    }
  }
}

function selectGateways(
  all: ReadonlyMap<string, GatewayIR>,
  wanted: string | undefined,
): { ok: true; gateways: GatewayIR[] } | { ok: false; stderr: string } {
  const keys = [...all.keys()].sort();
  if (wanted === undefined) {
    if (keys.length === 0) return { ok: false, stderr: 'no Gateway of a GatewayClass handled by Gantry was accepted; see --output status' };
    return { ok: true, gateways: keys.map((k) => all.get(k)!) };
  }
  const key = wanted.includes('/') ? wanted : `default/${wanted}`;
  const ir = all.get(key);
  if (ir === undefined) {
    return { ok: false, stderr: `--gateway ${wanted}: no accepted Gateway ${key} (have: ${keys.join(', ') || 'none'}); see --output status` };
  }
  return { ok: true, gateways: [ir] };
}

function statusYaml(reports: readonly StatusReport[]): string {
  return reports
    .map((r) => yamlModule().stringify({
      apiVersion: r.apiVersion,
      kind: r.kind,
      metadata: r.namespace !== undefined ? { name: r.name, namespace: r.namespace } : { name: r.name },
      status: r.status,
    }, YAML_OPTIONS))
    .join('---\n');
}
