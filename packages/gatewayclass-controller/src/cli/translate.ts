// `gantry translate`: the offline path. Same translators as the controller, printing xDS, status,
// the IR, or a runnable static Envoy bootstrap.
import { containsPrivateKey, redactDeep, redactIR, type GatewayIR } from '@gantry/ir';
// Subpaths, not the package index: the ADS server (grpc-js) is no part of an offline run.
import { snapshotToEnvoyJson, translateXds } from '@gantry/xds/translator/index';
import { buildSnapshot, formatManifestError, loadManifestFiles } from '../manifests/load.js';
import { CONTROLLER_NAME, translate, type StatusReport } from '@gantry/translator';
import { GATEWAY_PARAMETERS_KIND, type GatewayParameters, type KubeObject } from '@gantry/api';
import { gatewayParametersReports } from '../deployer/parameters-status.js';
import { ManifestPathError, expandManifestPathsWithWarnings } from '../manifests/files.js';
import { yamlModule } from '../manifests/yaml-lazy.js';
import { accessLogsOf } from '../deployer/access-log.js';

// Shared objects (the translator reuses condition lists) print in full, never as YAML aliases.
const YAML_OPTIONS = { aliasDuplicateObjects: false } as const;

export type TranslateOutput = 'xds' | 'status' | 'bootstrap' | 'ir';
export const TRANSLATE_OUTPUTS: readonly TranslateOutput[] = ['xds', 'status', 'bootstrap', 'ir'];
export type OutputFormat = 'json' | 'yaml';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'yaml'];
/** Each output's format unless `-o json|yaml` says otherwise. */
const DEFAULT_FORMAT: Readonly<Record<TranslateOutput, OutputFormat>> = { xds: 'json', bootstrap: 'json', status: 'yaml', ir: 'yaml' };

export interface TranslateArgs {
  readonly files: readonly string[];
  readonly gateway?: string;
  readonly output: TranslateOutput;
  /** Default: json for xds and bootstrap, yaml for status and ir. */
  readonly format?: OutputFormat;
  readonly listenAddress: string;
  readonly adminPort: number;
  /** The install namespace: its Upstreams may name Services in any namespace (default gantry-system). */
  readonly installNamespace?: string;
  /** Refuse backendRefs to Services: routes must name Upstreams. */
  readonly disableKubernetesDestinations?: boolean;
}

/**
 * What the command prints, or the error it exits with (`usage`: a path that does not exist or
 * cannot be read as manifests, exit 2); and warnings (ignored kinds, kustomize fields not applied).
 */
export type CommandResult = Printed & { warnings: readonly string[] };

export async function runTranslate(args: TranslateArgs): Promise<CommandResult> {
  const warnings: string[] = [];
  const result = await translateFiles(args, warnings);
  return { ...result, warnings };
}

/**
 * `refused`: objects refused as the API server would refuse them (file:line:field each). The others
 * are translated and printed all the same: one invalid object never stops the rest of a file.
 */
type Printed = { ok: true; stdout: string; refused?: string } | { ok: false; stderr: string; usage?: boolean };

async function translateFiles(args: TranslateArgs, warnings: string[]): Promise<Printed> {
  let files: string[];
  try {
    const expanded = await expandManifestPathsWithWarnings(args.files);
    files = expanded.files;
    warnings.push(...expanded.warnings);
  } catch (err) {
    if (err instanceof ManifestPathError) return { ok: false, stderr: err.message, usage: true };
    throw err;
  }
  if (files.length === 0) return { ok: false, stderr: `no manifest files (.yaml, .yml, .json) in ${args.files.join(', ')}`, usage: true };
  const loaded = await loadManifestFiles(files);
  const { objects, errors } = loaded;
  warnings.push(...(loaded.warnings ?? []).map((w) => `${w.file}: ${w.message}`));
  const printed = await translateObjects(args, objects);
  if (errors.length === 0) return printed;
  const refused = errors.map(formatManifestError).join('\n');
  return printed.ok ? { ...printed, refused } : { ok: false, stderr: `${refused}\n${printed.stderr}` };
}

async function translateObjects(args: TranslateArgs, objects: readonly KubeObject[]): Promise<Printed> {
  const snapshot = buildSnapshot(objects);
  const accessLogs = accessLogsOf(snapshot);
  const xdsOptions = (key: string) => {
    const accessLog = accessLogs.get(key);
    return { listenAddress: args.listenAddress, routeLayout: 'single' as const, ...(accessLog !== undefined ? { accessLog } : {}) };
  };
  const result = translate(snapshot, {
    ...(args.installNamespace !== undefined ? { installNamespace: args.installNamespace } : {}),
    ...(args.disableKubernetesDestinations ? { disableKubernetesDestinations: true } : {}),
  });

  const format = args.format ?? DEFAULT_FORMAT[args.output];
  if (args.output === 'status') {
    const params = (snapshot.others ?? []).filter((o): o is GatewayParameters => o.kind === GATEWAY_PARAMETERS_KIND);
    return { ok: true, stdout: printStatus(redactDeep([...result.statuses, ...gatewayParametersReports(params, snapshot.gatewayClasses, snapshot.gateways, CONTROLLER_NAME)]), format) };
  }

  const selected = selectGateways(result.gateways, args.gateway);
  if (!selected.ok) return selected;
  const gateways = selected.gateways;

  switch (args.output) {
    case 'ir': {
      const docs = gateways.map((ir) => redactIR(ir));
      return { ok: true, stdout: format === 'yaml' ? yamlDocs(docs) : jsonOf(args.gateway !== undefined ? docs[0] : docs) };
    }
    case 'xds': {
      const docs = gateways.map((ir) => ({
        gateway: ir.key,
        // One readable table per port (as the goldens print it); served, a large table is split
        // in scoped shards (docs/architecture.md), with the same virtual hosts and routes.
        resources: snapshotToEnvoyJson(translateXds(ir, xdsOptions(ir.key))),
      }));
      if (format === 'yaml') return { ok: true, stdout: yamlDocs(redactDeep(docs)) };
      const print = (d: typeof docs): string => jsonOf(args.gateway !== undefined ? d[0] : d);
      // Private keys outside a Secret's own field (a header value, a Lua body): JSON never splits
      // a string, so the deep walk over every resource runs only when the printed text holds one.
      const text = print(docs);
      return { ok: true, stdout: containsPrivateKey(text) ? print(redactDeep(docs)) : text };
    }
    case 'bootstrap': {
      if (gateways.length !== 1) {
        return { ok: false, stderr: `--output bootstrap needs one Gateway; choose one with --gateway (${gateways.map((g) => g.key).join(', ')})` };
      }
      const ir = gateways[0]!;
      // Static resources carry each route table inline: served whole, not in scopes. Loaded here
      // only: the bootstrap protos are large and the other outputs do not need them.
      const { staticBootstrap } = await import('@gantry/xds/bootstrap/index');
      const bootstrap = staticBootstrap(translateXds(ir, xdsOptions(ir.key)), {
        gatewayKey: ir.key,
        adminPort: args.adminPort,
      });
      return { ok: true, stdout: format === 'yaml' ? yamlDocs([bootstrap]) : jsonOf(bootstrap) };
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

function printStatus(reports: readonly StatusReport[], format: OutputFormat): string {
  const objects = reports.map((r) => ({
    apiVersion: r.apiVersion,
    kind: r.kind,
    metadata: r.namespace !== undefined ? { name: r.name, namespace: r.namespace } : { name: r.name },
    status: r.status,
  }));
  // JSON: one `kind: List`, what kubectl prints for several objects.
  return format === 'yaml' ? yamlDocs(objects) : jsonOf({ apiVersion: 'v1', kind: 'List', items: objects });
}

function yamlDocs(docs: readonly unknown[]): string {
  return docs.map((d) => yamlModule().stringify(d, YAML_OPTIONS)).join('---\n');
}

function jsonOf(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
