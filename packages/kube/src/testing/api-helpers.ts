// Small conveniences for integration tests against the real API server of the control-plane
// fixture: create/replace/delete by KindRef, wait for a condition, a kubeconfig that goes through
// another address.
import { KubeConfig } from '@kubernetes/client-node';
import { apiVersionOf, collectionPath, objectPath, type KindRef } from '../kinds.js';
import type { Json, JsonObject } from '../objects.js';
import { requestOk } from '../rest.js';

export async function createObject(kc: KubeConfig, kind: KindRef, namespace: string | undefined, body: JsonObject): Promise<JsonObject> {
  const full = { apiVersion: apiVersionOf(kind), kind: kind.kind, ...body };
  return (await requestOk(kc, collectionPath(kind, namespace), { method: 'POST', body: full })) as JsonObject;
}

export async function getObject(kc: KubeConfig, kind: KindRef, namespace: string | undefined, name: string): Promise<JsonObject> {
  return (await requestOk(kc, objectPath(kind, namespace, name))) as JsonObject;
}

/** Merge-patches the main resource (spec, labels): a change by "someone else". */
export async function mergePatchObject(kc: KubeConfig, kind: KindRef, namespace: string | undefined, name: string, patch: Json): Promise<JsonObject> {
  return (await requestOk(kc, objectPath(kind, namespace, name), { method: 'PATCH', body: patch, contentType: 'application/merge-patch+json' })) as JsonObject;
}

export async function deleteObject(kc: KubeConfig, kind: KindRef, namespace: string | undefined, name: string): Promise<void> {
  await requestOk(kc, objectPath(kind, namespace, name), { method: 'DELETE' });
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await requestOk(kc, '/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 25): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A copy of `kc` whose current cluster is reached at `server` (e.g. through a TCP proxy). */
export function kubeConfigVia(kc: KubeConfig, server: string): KubeConfig {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kc.getClusters().map((c) => (c.name === cluster.name ? { ...c, server } : c)),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return copy;
}

export interface RecordingLogger {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  readonly lines: string[];
}

/** Keeps every log line (for assertions); prints them too when GANTRY_TEST_LOG is set. */
export function recordingLogger(prefix: string): RecordingLogger {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, fields?: Readonly<Record<string, unknown>>): void => {
    const line = `${prefix} ${level} ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`;
    lines.push(line);
    if (process.env['GANTRY_TEST_LOG']) console.log(line);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), lines };
}
