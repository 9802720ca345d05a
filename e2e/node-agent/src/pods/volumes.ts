// A Pod's volumes as directories under its pod dir (volumes/<name>), filled the way the kubelet
// fills them: ConfigMap and Secret keys as files (items, modes), downward API files, projected
// sources merged into one directory (service account tokens from the TokenRequest API),
// emptyDir empty, hostPath as the host path. Contents are written once, when the Pod starts.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { Logger } from '@gantry/kube';
import type { DownwardAPIItem, KeyToPath, Pod, ProjectedSource } from '../kube-types.js';
import { fieldPathValue, resourceFieldValue, type PodRuntimeFacts } from './field-ref.js';
import { configMapContents, ContainerConfigError, secretContents, type ObjectSource } from './object-source.js';

const DEFAULT_MODE = 0o644;
const TOKEN_DEFAULT_EXPIRATION_SECONDS = 3607;

export interface VolumeContext {
  readonly pod: Pod;
  readonly podDir: string;
  readonly facts: PodRuntimeFacts;
  readonly source: ObjectSource;
  readonly log: Logger;
}

/** Volume name → host directory (or file, for a hostPath file). */
export type VolumePaths = ReadonlyMap<string, string>;

export async function prepareVolumes(ctx: VolumeContext): Promise<VolumePaths> {
  const out = new Map<string, string>();
  const ns = ctx.pod.metadata.namespace ?? 'default';
  for (const volume of ctx.pod.spec.volumes ?? []) {
    const dir = join(ctx.podDir, 'volumes', volume.name);
    if (volume.hostPath) {
      const type = volume.hostPath.type ?? '';
      if (type === 'DirectoryOrCreate') await mkdir(volume.hostPath.path, { recursive: true });
      if (type === 'FileOrCreate') {
        await mkdir(dirname(volume.hostPath.path), { recursive: true });
        await writeFile(volume.hostPath.path, '', { flag: 'a' });
      }
      out.set(volume.name, volume.hostPath.path);
      continue;
    }
    await mkdir(dir, { recursive: true, mode: 0o755 });
    out.set(volume.name, dir);
    if (volume.emptyDir) {
      await chmod(dir, 0o777); // as the kubelet: any user in the Pod may write
    } else if (volume.configMap) {
      const ref = volume.configMap;
      const cm = ref.name ? await ctx.source.configMap(ns, ref.name) : undefined;
      if (!cm) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`configmap "${ref.name ?? ''}" not found`);
      }
      await writeKeys(dir, configMapContents(cm), ref.items, ref.defaultMode ?? DEFAULT_MODE, ref.optional, `configmap "${ref.name}"`);
    } else if (volume.secret) {
      const ref = volume.secret;
      const secret = ref.secretName ? await ctx.source.secret(ns, ref.secretName) : undefined;
      if (!secret) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`secret "${ref.secretName ?? ''}" not found`);
      }
      await writeKeys(dir, secretContents(secret), ref.items, ref.defaultMode ?? DEFAULT_MODE, ref.optional, `secret "${ref.secretName}"`);
    } else if (volume.downwardAPI) {
      await writeDownward(dir, ctx, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? DEFAULT_MODE);
    } else if (volume.projected) {
      for (const source of volume.projected.sources ?? []) {
        await writeProjected(dir, ctx, source, volume.projected.defaultMode ?? DEFAULT_MODE);
      }
    } else {
      ctx.log.warn('unsupported volume type; using an empty directory', { pod: `${ns}/${ctx.pod.metadata.name}`, volume: volume.name });
    }
  }
  return out;
}

async function writeProjected(dir: string, ctx: VolumeContext, source: ProjectedSource, mode: number): Promise<void> {
  const ns = ctx.pod.metadata.namespace ?? 'default';
  if (source.configMap) {
    const ref = source.configMap;
    const cm = ref.name ? await ctx.source.configMap(ns, ref.name) : undefined;
    if (!cm) {
      if (!ref.optional) throw new ContainerConfigError(`configmap "${ref.name ?? ''}" not found`);
      return;
    }
    await writeKeys(dir, configMapContents(cm), ref.items, mode, ref.optional, `configmap "${ref.name}"`);
  } else if (source.secret) {
    const ref = source.secret;
    const secret = ref.name ? await ctx.source.secret(ns, ref.name) : undefined;
    if (!secret) {
      if (!ref.optional) throw new ContainerConfigError(`secret "${ref.name ?? ''}" not found`);
      return;
    }
    await writeKeys(dir, secretContents(secret), ref.items, mode, ref.optional, `secret "${ref.name}"`);
  } else if (source.downwardAPI) {
    await writeDownward(dir, ctx, source.downwardAPI.items ?? [], mode);
  } else if (source.serviceAccountToken) {
    const t = source.serviceAccountToken;
    const token = await ctx.source.serviceAccountToken({
      namespace: ns,
      serviceAccount: ctx.pod.spec.serviceAccountName ?? 'default',
      ...(t.audience ? { audience: t.audience } : {}),
      expirationSeconds: t.expirationSeconds ?? TOKEN_DEFAULT_EXPIRATION_SECONDS,
      podName: ctx.pod.metadata.name,
      podUid: ctx.pod.metadata.uid ?? '',
    });
    await writeItem(dir, t.path, Buffer.from(token, 'utf8'), 0o600);
  }
}

async function writeKeys(
  dir: string,
  contents: ReadonlyMap<string, Buffer>,
  items: readonly KeyToPath[] | undefined,
  mode: number,
  optional: boolean | undefined,
  what: string,
): Promise<void> {
  if (!items || items.length === 0) {
    for (const [key, value] of contents) await writeItem(dir, key, value, mode);
    return;
  }
  for (const item of items) {
    const value = contents.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw new ContainerConfigError(`key "${item.key}" not found in ${what}`);
    }
    await writeItem(dir, item.path, value, item.mode ?? mode);
  }
}

async function writeDownward(dir: string, ctx: VolumeContext, items: readonly DownwardAPIItem[], mode: number): Promise<void> {
  for (const item of items) {
    const r = item.fieldRef
      ? fieldPathValue(ctx.pod, item.fieldRef.fieldPath, ctx.facts)
      : item.resourceFieldRef
        ? resourceFieldValue(ctx.pod, undefined, item.resourceFieldRef, ctx.facts)
        : { error: 'neither fieldRef nor resourceFieldRef' };
    if ('error' in r) throw new ContainerConfigError(`downwardAPI ${item.path}: ${r.error}`);
    await writeItem(dir, item.path, Buffer.from(r.value, 'utf8'), item.mode ?? mode);
  }
}

/** Writes `relPath` under `dir`; a path escaping the volume is refused (the API refuses it too). */
async function writeItem(dir: string, relPath: string, value: Buffer, mode: number): Promise<void> {
  const rel = normalize(relPath);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith('../')) throw new ContainerConfigError(`volume item path escapes the volume: ${relPath}`);
  const file = join(dir, rel);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, value, { mode });
  await chmod(file, mode);
}
