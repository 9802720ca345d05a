// Which local program plays a container image. There is no image store: a known image maps to a
// binary on this machine (the conformance echo backend, Envoy, or any added with --image), a
// small set of general-purpose base images run their command with the host's tools, and every
// other image becomes a long-running placeholder (so its Pod still runs and gets an address).
import { basename, dirname } from 'node:path';
import type { Container } from '../kube-types.js';

export interface ImageBinary {
  /** Matched against the image reference (registry/repo:tag). */
  readonly pattern: RegExp;
  readonly path: string;
  /** Names of the image's entrypoint: a container `command` naming one runs `path`. */
  readonly entrypointNames: readonly string[];
  /** The image's CMD: used when the container sets neither command nor args. */
  readonly defaultArgs: readonly string[];
  /** The rest of the image's ENTRYPOINT after the program (kept with `args`, replaced by `command`). */
  readonly entrypointArgs?: readonly string[];
  /** The image's WORKDIR: where a container without `workingDir` starts (default `/`). */
  readonly workingDir?: string;
}

export type ImageKind = 'binary' | 'host' | 'placeholder';

export interface ResolvedCommand {
  readonly kind: ImageKind;
  /** The program and its arguments, before $(VAR) expansion. */
  readonly argv: readonly string[];
  /** What status.containerStatuses[].imageID reports. */
  readonly imageID: string;
  /** The image's WORKDIR, if it has one. */
  readonly workingDir?: string;
}

/** Images whose command line is meaningful on the host (sh, sleep, cat, ...). */
const HOST_TOOL_IMAGES = /^(?:(?:docker\.io\/)?(?:library\/)?)?(busybox|alpine|debian|ubuntu)(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?$/;

export const PLACEHOLDER_ARGV: readonly string[] = ['sleep', 'infinity'];

export function echoBasicImage(path: string): ImageBinary {
  return {
    // registry.k8s.io/gateway-api/echo-basic:v1.5.1 and friends (conformance v1.6.1 base manifests).
    pattern: /(?:^|\/)(?:gateway-api\/echo-basic|echo-basic|gateway-api\/echo)(?::|@|$)/,
    path,
    entrypointNames: ['echo-basic', 'echo-server'],
    defaultArgs: [],
  };
}

export function envoyImage(path: string): ImageBinary {
  return {
    // envoyproxy/envoy:v1.39.3, docker.io/envoyproxy/envoy-distroless:..., mirrors ending the same.
    pattern: /(?:^|\/)envoyproxy\/envoy[\w.-]*(?::|@|$)/,
    path,
    entrypointNames: ['envoy'],
    defaultArgs: ['-c', '/etc/envoy/envoy.yaml'],
  };
}

/**
 * CoreDNS (the conformance suite's UDP backend, registry.k8s.io/coredns/coredns:...) as the node
 * agent's DNS stand-in (stand-ins/dns-echo.js): every query gets an empty NOERROR answer.
 */
export function corednsStandInImage(script: string, node: string = process.execPath): ImageBinary {
  return {
    pattern: /(?:^|\/)coredns\/coredns(?::|@|$)/,
    path: node,
    entrypointNames: ['/coredns', 'coredns'],
    defaultArgs: [],
    entrypointArgs: [script],
  };
}

/** Where main.js sits in the working tree, as in the image under its WORKDIR /app. */
const GANTRY_MAIN = 'packages/gatewayclass-controller/dist/cli/main.js';

/**
 * Gantry's image (charts/gantry's default `gantry:<appVersion>`, any tag, registry or digest) as
 * the working tree's build. The Dockerfile's ENTRYPOINT `node .../main.js controller` becomes
 * `<this node> <mainJs> controller` (the chart's args follow), and its WORKDIR /app the working
 * tree, so a container that sets its own `command` (the chart's hook Job: `node
 * packages/gatewayclass-controller/dist/cli/main.js discovery-cleanup`) finds the same paths.
 */
export function gantryControllerImage(mainJs: string, node: string = process.execPath): ImageBinary {
  const workingDir = mainJs.endsWith(`/${GANTRY_MAIN}`) ? mainJs.slice(0, -GANTRY_MAIN.length - 1) : dirname(mainJs);
  return {
    pattern: /(?:^|\/)gantry(?::|@|$)/,
    path: node,
    entrypointNames: ['node'],
    defaultArgs: [],
    entrypointArgs: [mainJs, 'controller'],
    workingDir,
  };
}

/** `--image SUBSTRING=PATH`: any image whose reference contains SUBSTRING runs PATH. */
export function customImage(substring: string, path: string): ImageBinary {
  const escaped = substring.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { pattern: new RegExp(escaped), path, entrypointNames: [basename(path)], defaultArgs: [] };
}

/**
 * Kubernetes' rule: `command` replaces the image's ENTRYPOINT, `args` its CMD; args alone keep
 * the ENTRYPOINT.
 */
export function resolveCommand(container: Container, binaries: readonly ImageBinary[]): ResolvedCommand {
  const image = container.image ?? '';
  const binary = binaries.find((b) => b.pattern.test(image));
  if (binary) {
    const command = container.command;
    const args = container.args ?? (command ? [] : binary.defaultArgs);
    const imageID = `gantry-local://${binary.path}`;
    const workingDir = binary.workingDir ? { workingDir: binary.workingDir } : {};
    if (!command || command.length === 0) return { kind: 'binary', argv: [binary.path, ...(binary.entrypointArgs ?? []), ...args], imageID, ...workingDir };
    const [first, ...rest] = command;
    const program = first !== undefined && binary.entrypointNames.includes(basename(first)) ? binary.path : (first ?? binary.path);
    return { kind: 'binary', argv: [program, ...rest, ...args], imageID, ...workingDir };
  }
  if (HOST_TOOL_IMAGES.test(image)) {
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    return { kind: 'host', argv: argv.length > 0 ? argv : ['sh'], imageID: 'gantry-local://host' };
  }
  return { kind: 'placeholder', argv: PLACEHOLDER_ARGV, imageID: 'gantry-local://placeholder' };
}
