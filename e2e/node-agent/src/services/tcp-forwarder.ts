// A Service address in user space: listens on one IP:port on the host and forwards each
// connection to a ready endpoint, round robin, trying the next one when a connect fails. The
// endpoints are asked for per connection, so changes apply without touching the listener.
import * as net from 'node:net';

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

const CONNECT_TIMEOUT_MS = 3000;

export class TcpForwarder {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private next = 0;

  constructor(
    readonly ip: string,
    readonly port: number,
    private readonly endpoints: () => readonly Endpoint[],
  ) {}

  listen(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.ip, port: this.port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', () => undefined);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    client.pause();
    const candidates = this.endpoints();
    if (candidates.length === 0) {
      client.destroy(); // like a Service without endpoints: refused
      return;
    }
    const start = this.next++ % candidates.length;
    const order = candidates.map((_, i) => candidates[(start + i) % candidates.length]).filter((e): e is Endpoint => e !== undefined);
    this.connect(client, order);
  }

  private connect(client: net.Socket, order: readonly Endpoint[]): void {
    const [target, ...rest] = order;
    if (!target || client.destroyed) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: target.ip, port: target.port, allowHalfOpen: true });
    this.track(upstream);
    upstream.setTimeout(CONNECT_TIMEOUT_MS, () => upstream.destroy(new Error('connect timeout')));
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) this.connect(client, rest);
      else client.destroy();
    });
    // A side that closed after both directions ended needs nothing; one that vanished (reset)
    // takes the other down with it. Destroying an ended socket would drop unflushed bytes.
    upstream.on('close', () => {
      if (connected && !client.writableEnded) client.destroy();
    });
    client.on('close', () => {
      if (!upstream.writableEnded) upstream.destroy();
    });
  }
}
