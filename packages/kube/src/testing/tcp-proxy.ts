// A TCP forwarder on 127.0.0.1 for integration tests: clients pointed at it reach the real API
// server (TLS stays end to end), and the test can cut or silently stall that path while the API
// server itself keeps serving everyone else. Not an API server, not a mock: just a cable.
import * as net from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'stall';

export interface TcpProxy {
  readonly port: number;
  /**
   * forward: pass bytes both ways. refuse: drop every connection (open ones too). stall: keep
   * connections open but pass nothing (open ones go silent, new ones hang), like a dead peer
   * behind a firewall that drops packets.
   */
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();

  const stallPair = (p: { client: net.Socket; upstream: net.Socket }): void => {
    p.client.unpipe(p.upstream);
    p.upstream.unpipe(p.client);
    p.client.pause();
    p.upstream.pause();
  };

  const server = net.createServer((client) => {
    client.on('error', () => {});
    if (mode === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    if (mode === 'stall') stallPair(pair);
    else {
      client.pipe(upstream);
      upstream.pipe(client);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    setMode(next) {
      mode = next;
      for (const p of [...pairs]) {
        if (next === 'refuse') {
          p.client.destroy();
          p.upstream.destroy();
        } else if (next === 'stall') stallPair(p);
      }
      // Connections stalled earlier stay dead after 'forward': like a real stall, only new
      // connections recover.
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
