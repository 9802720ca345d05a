// What the cluster bench reads besides the API: HTTP through a Gateway's Envoy, a process's CPU
// and memory from /proc, and Prometheus text from an admin endpoint.
import { Agent, createServer, request, type Server } from 'node:http';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';

/** A keep-alive HTTP client to one Envoy: GET with a Host header, the status code back (0 = no answer). */
export class EnvoyClient {
  private readonly agent: Agent;
  constructor(readonly address: string, readonly port: number, sockets = 1) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  get(host: string, path: string, timeoutMs = 5000): Promise<number> {
    return new Promise((resolve) => {
      const req = request({ host: this.address, port: this.port, path, headers: { host }, agent: this.agent, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The backend every route points at: a plain HTTP server on all host addresses, answering 200. */
export async function startBackend(): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '0.0.0.0');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}

/**
 * Host addresses Pods can reach: the node address on the bridge (the Pods' gateway) and one
 * other address of the host (for endpoint changes that keep the same backend).
 */
export function hostAddresses(nodeIP: string): { bridge: string; other: string } {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name === 'lo' || (addrs ?? []).some((a) => a.address === nodeIP)) continue;
    const other = addrs?.find((a) => a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.'))?.address;
    if (other) return { bridge: nodeIP, other };
  }
  throw new Error('no second host address for endpoint changes');
}

export interface ProcSample {
  readonly rssBytes: number;
  /** user + system CPU seconds so far. */
  readonly cpuSeconds: number;
}

const CLK_TCK = 100;

export function procSample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    return { rssBytes: Number(rss?.[1] ?? 0) * 1024, cpuSeconds: (utime + stime) / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** Pids whose command line contains every one of `parts` (e.g. a peer controller run as a Pod). */
export function findPids(parts: readonly string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((p) => cmd.some((c) => c.includes(p)))) pids.push(Number(entry));
    } catch { /* gone */ }
  }
  return pids;
}

/** GET a URL (plain HTTP) and return its text; undefined when it cannot be had. */
export function fetchText(url: string, timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString('utf8') : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Sums the samples of a Prometheus metric whose labels contain every `labels` pair, per value of `by`. */
export function promSum(text: string, metric: string, labels: Record<string, string>, by?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const ls = new Map<string, string>();
    for (const l of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) ls.set(l[1]!, l[2]!);
    if (!Object.entries(labels).every(([k, v]) => ls.get(k) === v)) continue;
    const key = by ? (ls.get(by) ?? '') : '';
    out.set(key, (out.get(key) ?? 0) + Number(m[4]));
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
