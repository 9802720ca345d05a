// A container's environment as the kubelet builds it: envFrom first, then env in order (a later
// name wins), each value $(VAR)-expanded against what is defined so far; the same expansion
// applies to command and args.
import type { Container, Pod } from '../kube-types.js';
import { fieldPathValue, resourceFieldValue, type PodRuntimeFacts } from './field-ref.js';
import { asText, configMapContents, ContainerConfigError, secretContents, type ObjectSource } from './object-source.js';

async function configMapData(source: ObjectSource, ns: string, name: string): Promise<Record<string, string> | undefined> {
  const cm = await source.configMap(ns, name);
  return cm ? asText(configMapContents(cm)) : undefined;
}

async function secretData(source: ObjectSource, ns: string, name: string): Promise<Record<string, string> | undefined> {
  const secret = await source.secret(ns, name);
  return secret ? asText(secretContents(secret)) : undefined;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * `$(NAME)` → the value of NAME when defined, kept literally otherwise; `$$` → `$` (so `$$(X)`
 * stays `$(X)`).
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

export async function containerEnv(
  pod: Pod,
  container: Container,
  facts: PodRuntimeFacts,
  source: ObjectSource,
): Promise<Map<string, string>> {
  const ns = pod.metadata.namespace ?? 'default';
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref?.name) continue;
    const data = from.configMapRef ? await configMapData(source, ns, ref.name) : await secretData(source, ns, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${from.configMapRef ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) {
      const name = `${from.prefix ?? ''}${k}`;
      if (ENV_NAME.test(name)) env.set(name, v);
    }
  }
  const lookup = (name: string): string | undefined => env.get(name);
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      env.set(e.name, expandVars(e.value ?? '', lookup));
      continue;
    }
    if (from.fieldRef) {
      const r = fieldPathValue(pod, from.fieldRef.fieldPath, facts);
      if ('error' in r) throw new ContainerConfigError(`env ${e.name}: ${r.error}`);
      env.set(e.name, r.value);
    } else if (from.resourceFieldRef) {
      const r = resourceFieldValue(pod, container, from.resourceFieldRef, facts);
      if ('error' in r) throw new ContainerConfigError(`env ${e.name}: ${r.error}`);
      env.set(e.name, r.value);
    } else {
      const ref = from.configMapKeyRef ?? from.secretKeyRef;
      if (!ref?.name) continue;
      const what = from.configMapKeyRef ? 'configmap' : 'secret';
      const data = from.configMapKeyRef ? await configMapData(source, ns, ref.name) : await secretData(source, ns, ref.name);
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(data ? `key "${ref.key}" not found in ${what} "${ref.name}"` : `${what} "${ref.name}" not found`);
      }
      env.set(e.name, value);
    }
  }
  return env;
}
