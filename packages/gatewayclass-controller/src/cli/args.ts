import { LOG_LEVEL_NAMES, isLogLevel } from '../log-levels.js';
import { labelSelectorError, type LabelSelector } from '@gantry/api';

/** A mistake in how the command was called: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export function parsePort(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag}: "${value}" is not a port number`);
  return n;
}

/**
 * A label selector flag: `key=value,key2=value2` (matchLabels), or JSON with matchLabels and
 * matchExpressions (what the chart passes). Undefined when the flag is absent or empty.
 */
export function parseSelector(value: string | undefined, flag: string): LabelSelector | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let selector: LabelSelector;
  if (value.trim().startsWith('{')) {
    try {
      selector = JSON.parse(value) as LabelSelector;
    } catch (err) {
      throw new UsageError(`${flag}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (typeof selector !== 'object' || selector === null || Array.isArray(selector)) throw new UsageError(`${flag}: expected {matchLabels, matchExpressions}`);
  } else {
    const matchLabels: Record<string, string> = {};
    for (const part of value.split(',')) {
      const i = part.indexOf('=');
      if (i <= 0) throw new UsageError(`${flag}: "${part}" is not key=value`);
      matchLabels[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
    selector = { matchLabels };
  }
  const problem = labelSelectorError(selector);
  if (problem) throw new UsageError(`${flag}: ${problem}`);
  return selector;
}

/** A winston level name; anything else would silence every log. */
export function parseLogLevel(value: string, flag = '--log-level'): string {
  if (!isLogLevel(value)) throw new UsageError(`${flag}: "${value}" is not a log level (${LOG_LEVEL_NAMES.join(', ')})`);
  return value;
}

/** A duration: `500ms`, `90s`, `5m`, `1h`, or a bare number of seconds. Milliseconds out. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: "${value}" is not a duration (e.g. 500ms, 90s, 5m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** `--remote-cluster NAME=KUBECONFIG`: the name and the kubeconfig path. */
export function parseRemoteCluster(value: string, flag = '--remote-cluster'): { name: string; kubeconfig: string } {
  const i = value.indexOf('=');
  if (i <= 0 || i === value.length - 1) throw new UsageError(`${flag}: "${value}" is not NAME=KUBECONFIG`);
  return { name: value.slice(0, i), kubeconfig: value.slice(i + 1) };
}
