// Runs a real Envoy against the ADS server for tests: installs it with hack/install-envoy.sh,
// writes a minimal ADS bootstrap, and stops it by pid.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { GATEWAY_METADATA_KEY } from '../node-identity.js';

export { envoyBinary } from '../../testing/envoy-binary.js';
export { freePort } from '../../testing/net.js';

export interface EnvoyOptions {
  readonly xdsPort: number;
  readonly gatewayKey: string;
  readonly nodeId: string;
  readonly apiType: 'GRPC' | 'DELTA_GRPC';
}

export interface RunningEnvoy {
  readonly pid: number;
  readonly adminPort: number;
  /** Everything Envoy wrote to stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

function bootstrap(o: EnvoyOptions): object {
  const ads = { ads: {}, resource_api_version: 'V3' };
  return {
    node: { id: o.nodeId, cluster: o.gatewayKey, metadata: { [GATEWAY_METADATA_KEY]: o.gatewayKey } },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      clusters: [
        {
          name: 'xds',
          type: 'STATIC',
          connect_timeout: '1s',
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: 'xds',
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: o.xdsPort } } } }] }],
          },
        },
      ],
    },
    dynamic_resources: {
      ads_config: { api_type: o.apiType, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }] },
      cds_config: ads,
      lds_config: ads,
    },
  };
}

export async function startEnvoy(binary: string, options: EnvoyOptions): Promise<RunningEnvoy> {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-envoy-'));
  const config = join(dir, 'bootstrap.json');
  const adminPath = join(dir, 'admin-address');
  writeFileSync(config, JSON.stringify(bootstrap(options)));
  const baseId = 10000 + Math.floor(Math.random() * 50000);
  const child: ChildProcess = spawn(
    binary,
    ['-c', config, '--base-id', String(baseId), '--disable-hot-restart', '--concurrency', '1', '--admin-address-path', adminPath, '-l', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20000;
  while (!existsSync(adminPath) || readFileSync(adminPath, 'utf8').trim() === '') {
    if (child.exitCode !== null) throw new Error(`envoy exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`envoy did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const adminPort = Number(readFileSync(adminPath, 'utf8').trim().split(':').pop());
  return { pid: child.pid!, adminPort, output: () => stderr, stop };
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

export function httpGet(port: number, path = '/'): Promise<HttpResult> {
  return new Promise((resolveGet, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Retries `httpGet` until `accept` passes or the deadline expires. */
export async function eventually(port: number, path: string, accept: (r: HttpResult) => boolean, timeoutMs = 10000): Promise<HttpResult> {
  const deadline = Date.now() + timeoutMs;
  let last: HttpResult | Error = new Error('no attempt');
  while (Date.now() < deadline) {
    try {
      last = await httpGet(port, path);
      if (accept(last)) return last;
    } catch (err) {
      last = err as Error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met on :${port}${path}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}
