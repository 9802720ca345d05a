// A small Kubernetes API client for the cluster bench: one keep-alive HTTPS agent, a limit on
// requests in flight (so the client is never the bottleneck, and never floods a 2-core machine),
// and watches as newline-delimited JSON streams. Writes are JSON; nothing is retried silently.
import { Agent, request, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Response<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject;
}

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  Service: 'services',
  EndpointSlice: 'endpointslices',
  HTTPRoute: 'httproutes',
  Gateway: 'gateways',
  GatewayClass: 'gatewayclasses',
  Pod: 'pods',
};

/** The collection path of a kind: /api/v1/namespaces/NS/services, /apis/G/V/... */
export function collectionPath(apiVersion: string, kind: string, namespace?: string): string {
  const plural = PLURALS[kind];
  if (!plural) throw new Error(`no plural known for ${kind}`);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

export function objectPath(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${collectionPath(o.apiVersion, o.kind, o.metadata.namespace)}/${o.metadata.name}`;
}

export class Kube {
  private readonly agent: Agent;
  private readonly watchAgent: Agent;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Requests sent, for the report (how much the client asked of the API server). */
  requests = 0;

  private constructor(
    private readonly host: string,
    private readonly port: number,
    tls: TlsFiles,
    private readonly maxInFlight: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: maxInFlight, ...tls });
    this.watchAgent = new Agent({ keepAlive: false, ...tls });
  }

  static async fromKubeconfig(path: string, maxInFlight = 16): Promise<Kube> {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    const server = new URL(kc.getCurrentCluster()!.server);
    const tls: RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    return new Kube(server.hostname, Number(server.port || 443), pickTls(tls), maxInFlight);
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private async slot(): Promise<void> {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Response<T>> {
    await this.slot();
    try {
      this.requests++;
      return await new Promise<Response<T>>((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = request(
          {
            host: this.host, port: this.port, path, method, agent: this.agent,
            headers: { accept: 'application/json', ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try { parsed = text ? JSON.parse(text) : undefined; } catch { /* keep the text */ }
              resolve({ status: res.statusCode ?? 0, body: parsed as T });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    } finally {
      this.release();
    }
  }

  /** POST; a 409 (already there) is accepted when `allowExisting`. Throws on any other failure. */
  async create(o: KubeObject, allowExisting = false): Promise<void> {
    const r = await this.request('POST', collectionPath(o.apiVersion, o.kind, o.metadata.namespace), o);
    if (r.status === 201 || r.status === 200) return;
    if (r.status === 409 && allowExisting) return;
    throw new Error(`create ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }

  async get<T = KubeObject>(path: string): Promise<T | undefined> {
    const r = await this.request<T>('GET', path);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
    return r.body;
  }

  async list(path: string): Promise<{ items: KubeObject[]; metadata: { resourceVersion: string } }> {
    const r = await this.request<{ items: KubeObject[]; metadata: { resourceVersion: string } }>('GET', path);
    if (r.status !== 200) throw new Error(`LIST ${path}: HTTP ${r.status}`);
    return r.body;
  }

  /** JSON merge patch. */
  async merge(path: string, patch: unknown): Promise<void> {
    const r = await this.request('PATCH', path, patch, 'application/merge-patch+json');
    if (r.status !== 200) throw new Error(`PATCH ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }

  async delete(path: string): Promise<void> {
    const r = await this.request('DELETE', path);
    if (r.status !== 200 && r.status !== 202 && r.status !== 404) throw new Error(`DELETE ${path}: HTTP ${r.status}`);
  }

  /**
   * Watches `path` (a collection path, optionally with a label selector) from `resourceVersion`;
   * calls `onEvent` for each event. A stream the server ends is opened again from the last
   * resourceVersion seen (`restarts` counts them). Returns a function that ends the watch.
   */
  watch(path: string, resourceVersion: string, onEvent: (e: WatchEvent) => void): () => void {
    let stopped = false;
    let rv = resourceVersion;
    let current: ReturnType<typeof request> | undefined;
    const sep = path.includes('?') ? '&' : '?';
    const open = (): void => {
      if (stopped) return;
      let ended = false;
      const again = (): void => {
        if (ended) return;
        ended = true;
        restart();
      };
      const req = request({
        host: this.host, port: this.port, method: 'GET', agent: this.watchAgent,
        path: `${path}${sep}watch=1&resourceVersion=${rv}&timeoutSeconds=3600`,
        headers: { accept: 'application/json' },
      }, (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (!line.trim()) continue;
            const e = JSON.parse(line) as WatchEvent;
            if (e.type === 'ERROR') {
              this.watchErrors.push(JSON.stringify(e.object).slice(0, 200));
              continue;
            }
            if (e.object.metadata.resourceVersion) rv = e.object.metadata.resourceVersion;
            onEvent(e);
          }
        });
        res.on('end', again);
        res.on('error', again);
      });
      req.on('error', again);
      req.end();
      current = req;
    };
    const restart = (): void => {
      if (stopped) return;
      this.watchRestarts++;
      setTimeout(open, 100);
    };
    open();
    return () => {
      stopped = true;
      current?.destroy();
    };
  }

  /** Watch streams opened again after the server ended them, and ERROR events seen. */
  watchRestarts = 0;
  readonly watchErrors: string[] = [];
}

type TlsFiles = Pick<RequestOptions, 'ca' | 'cert' | 'key'>;

function pickTls(o: RequestOptions): TlsFiles {
  return { ca: o.ca, cert: o.cert, key: o.key };
}

/** Runs `fn` over `items` with at most `concurrency` at once; resolves when all are done. */
export async function forEachLimited<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
