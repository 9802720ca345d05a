// Readiness, liveness and startup probes, run from the host against the Pod's address (the host
// reaches every Pod over the bridge); exec probes run inside the container's namespaces.
import { execFile } from 'node:child_process';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Container, IntOrString, Probe } from '../kube-types.js';

export interface ProbeTarget {
  readonly podIP: string;
  readonly container: Container;
  /** The container's main process (for exec probes); undefined when not running. */
  readonly pid: () => number | undefined;
  readonly env: Readonly<Record<string, string>>;
}

export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

const OK: ProbeResult = { ok: true };

/** A named port is looked up among the container's ports. */
export function resolvePort(port: IntOrString, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, target.container);
    if (port === undefined) return { ok: false, message: `unknown port ${String(probe.httpGet.port)}` };
    return httpProbe(probe.httpGet.scheme === 'HTTPS', probe.httpGet.host || target.podIP, port, probe.httpGet.path ?? '/', probe.httpGet.httpHeaders ?? [], timeoutMs);
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, target.container);
    if (port === undefined) return { ok: false, message: `unknown port ${String(probe.tcpSocket.port)}` };
    return tcpProbe(probe.tcpSocket.host || target.podIP, port, timeoutMs);
  }
  if (probe.grpc) {
    // No gRPC health client here: a connection that opens is taken as healthy.
    return tcpProbe(target.podIP, probe.grpc.port, timeoutMs);
  }
  if (probe.exec?.command && probe.exec.command.length > 0) {
    const pid = target.pid();
    if (pid === undefined) return { ok: false, message: 'container not running' };
    return execProbe(pid, probe.exec.command, target.env, timeoutMs);
  }
  return { ok: false, message: 'probe has no handler' };
}

function httpProbe(
  tls: boolean,
  host: string,
  port: number,
  path: string,
  headers: readonly { name: string; value: string }[],
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const hdrs: http.OutgoingHttpHeaders = { 'User-Agent': 'kube-probe/gantry', Accept: '*/*', Connection: 'close' };
    for (const h of headers) hdrs[h.name] = h.value;
    const opts: https.RequestOptions = { host, port, path: path.startsWith('/') ? path : `/${path}`, method: 'GET', headers: hdrs, timeout: timeoutMs, rejectUnauthorized: false };
    const req = (tls ? https : http).request(opts, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? OK : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', (err) => resolve({ ok: false, message: `Get "${tls ? 'https' : 'http'}://${host}:${port}${path}": ${err.message}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (r: ProbeResult): void => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: timeout` }));
    socket.once('connect', () => done(OK));
    socket.once('error', (err) => done({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

function execProbe(pid: number, command: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile('nsenter', [`--target=${pid}`, '--mount', '--net', '--uts', '--ipc', '--', ...command], { env: { ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (!error) return resolve(OK);
      resolve({ ok: false, message: `command failed: ${(stderr || stdout || error.message).trim().slice(0, 200)}` });
    });
  });
}
