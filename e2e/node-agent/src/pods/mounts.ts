// How a container sees its volumes: each volumeMount becomes a bind mount inside the container's
// own mount namespace (unshare --mount --propagation private), so /etc/envoy or /tmp are the
// Pod's directories for that process only and nothing changes on the host.
//
// A mount point that does not exist on the host (e.g. /etc/envoy) is made inside the namespace:
// the deepest existing ancestor (/etc) gets a copy-on-write overlay whose upper layer is a tmpfs
// private to the namespace, and the directory is created in that overlay. Only a missing
// top-level directory (/data) has no such ancestor ('/' cannot be overlaid in place); it is
// created on the host and removed again with the Pod.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, posix, relative } from 'node:path';
import type { Container } from '../kube-types.js';
import type { VolumePaths } from './volumes.js';

export interface MountRequest {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface MountPlan {
  /** Existing directories to overlay (shallowest only), in mount order. */
  readonly overlays: readonly string[];
  /** Bind mounts, parents before children; `isFile` says whether the mount point is a file. */
  readonly binds: readonly (MountRequest & { readonly isFile: boolean })[];
  /** Mount points the agent must create on the host before the start (and remove after). */
  readonly hostDirs: readonly { readonly path: string; readonly isFile: boolean }[];
  /** Mount points to create inside the volume directories of earlier mounts. */
  readonly volumeDirs: readonly { readonly path: string; readonly isFile: boolean }[];
}

/** The container's mounts with subPath resolved; unknown volumes are an error. */
export function mountRequests(container: Container, volumes: VolumePaths): MountRequest[] | { error: string } {
  const out: MountRequest[] = [];
  for (const m of container.volumeMounts ?? []) {
    const base = volumes.get(m.name);
    if (base === undefined) return { error: `volume "${m.name}" not found` };
    if (!m.mountPath.startsWith('/')) return { error: `mountPath must be absolute: ${m.mountPath}` };
    let source = base;
    if (m.subPath) {
      const sub = normalize(m.subPath);
      if (sub.startsWith('..') || sub.startsWith('/')) return { error: `subPath escapes the volume: ${m.subPath}` };
      source = join(base, sub);
    }
    out.push({ source, target: posix.normalize(m.mountPath).replace(/(.)\/$/, '$1'), readOnly: m.readOnly ?? false });
  }
  return out;
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

function isFileSource(source: string): boolean {
  try {
    return statSync(source).isFile();
  } catch {
    return false;
  }
}

/** Overlay options cannot carry ',' or ':' (and the shell script quotes everything else). */
const OVERLAYABLE = /^\/[^,:]*$/;

export function planMounts(requests: readonly MountRequest[], exists: (path: string) => boolean = existsSync): MountPlan {
  const sorted = [...requests].sort((a, b) => depth(a.target) - depth(b.target));
  const applied: MountRequest[] = [];
  const ancestors = new Set<string>();
  const hostDirs: { path: string; isFile: boolean }[] = [];
  const volumeDirs: { path: string; isFile: boolean }[] = [];
  const binds: (MountRequest & { isFile: boolean })[] = [];
  for (const m of sorted) {
    const isFile = isFileSource(m.source);
    // Under an earlier bind, the mount point lives in that volume's directory.
    const cover = [...applied].reverse().find((b) => isUnder(m.target, b.target));
    if (cover) {
      const inVolume = join(cover.source, relative(cover.target, m.target));
      if (!exists(inVolume)) volumeDirs.push({ path: inVolume, isFile });
    } else if (!exists(m.target)) {
      let ancestor = dirname(m.target);
      while (ancestor !== '/' && !exists(ancestor)) ancestor = dirname(ancestor);
      if (ancestor === '/' || !OVERLAYABLE.test(ancestor)) {
        let top = m.target;
        while (dirname(top) !== '/' && !exists(dirname(top))) top = dirname(top);
        hostDirs.push({ path: top, isFile: isFile && top === m.target });
      } else {
        ancestors.add(ancestor);
      }
    }
    binds.push({ ...m, isFile });
    applied.push(m);
  }
  const overlays = [...ancestors]
    .filter((a) => ![...ancestors].some((other) => other !== a && isUnder(a, other)))
    .sort((a, b) => depth(a) - depth(b));
  return { overlays, binds, hostDirs, volumeDirs };
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptOptions {
  readonly plan: MountPlan;
  /** An empty host directory the namespace mounts its scratch tmpfs on. */
  readonly scratchDir: string;
  /** Set inside the container's UTS namespace; undefined keeps the host's. */
  readonly hostname?: string;
  readonly workingDir?: string;
  /** The program to exec; held open like the mount sources when a mount covers its path. */
  readonly program: string;
}

/** The first descriptor the script holds sources on (bash allows any number). */
const FIRST_FD = 10;

/**
 * The bash script run as `bash SCRIPT PROGRAM ARGS...` inside the new namespaces: mounts, then
 * `exec`, so the container process keeps the pid the agent spawned.
 *
 * Every mount source (and, when needed, the program) is opened before the first mount and bound
 * through /proc/self/fd: a mount may cover the directory the sources live in (a /tmp emptyDir
 * over a state dir under /tmp). `--no-canonicalize` keeps mount(8) from turning the descriptor
 * back into that path.
 */
export function containerScript(opts: ScriptOptions): string {
  const q = shellQuote;
  const lines = ['set -e'];
  if (opts.hostname) lines.push(`hostname ${q(opts.hostname)}`);
  opts.plan.binds.forEach((b, i) => lines.push(`exec ${FIRST_FD + i}<${q(b.source)}`));
  const programFd = FIRST_FD + opts.plan.binds.length;
  const programCovered = opts.program.startsWith('/') && opts.plan.binds.some((b) => isUnder(opts.program, b.target));
  if (programCovered) lines.push(`exec ${programFd}<${q(opts.program)}`);
  if (opts.plan.overlays.length > 0) {
    lines.push(`mount -t tmpfs -o mode=0700 gantry-scratch ${q(opts.scratchDir)}`);
    opts.plan.overlays.forEach((lower, i) => {
      const upper = `${opts.scratchDir}/${i}/upper`;
      const work = `${opts.scratchDir}/${i}/work`;
      lines.push(`mkdir -p ${q(upper)} ${q(work)}`);
      lines.push(`mount -t overlay gantry-overlay -o ${q(`lowerdir=${lower},upperdir=${upper},workdir=${work}`)} ${q(lower)}`);
    });
  }
  opts.plan.binds.forEach((b, i) => {
    lines.push(b.isFile ? `[ -e ${q(b.target)} ] || { mkdir -p ${q(dirname(b.target))} && : > ${q(b.target)}; }` : `mkdir -p ${q(b.target)}`);
    lines.push(`mount --no-canonicalize --bind /proc/self/fd/${FIRST_FD + i} ${q(b.target)}`);
    if (b.readOnly) lines.push(`mount --no-canonicalize -o remount,bind,ro ${q(b.target)}`);
  });
  opts.plan.binds.forEach((_, i) => lines.push(`exec ${FIRST_FD + i}<&-`));
  lines.push(`cd ${q(opts.workingDir ?? '/')}`);
  lines.push(programCovered ? `exec -a "$1" /proc/self/fd/${programFd} "\${@:2}"` : 'exec "$@"');
  return `${lines.join('\n')}\n`;
}
