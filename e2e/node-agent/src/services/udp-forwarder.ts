// A Service address for UDP in user space: receives datagrams on one IP:port on the host and
// relays each client's datagrams (a session: its address and port) to one ready endpoint, round
// robin across sessions, and the endpoint's answers back to the client. Sessions idle for a
// minute are dropped, as kube-proxy's conntrack entries expire.
import * as dgram from 'node:dgram';
import type { Endpoint } from './tcp-forwarder.js';

const IDLE_MS = 60_000;

interface Session {
  readonly upstream: dgram.Socket;
  timer: NodeJS.Timeout;
}

export class UdpForwarder {
  private socket: dgram.Socket | undefined;
  private readonly sessions = new Map<string, Session>();
  private next = 0;

  constructor(
    readonly ip: string,
    readonly port: number,
    private readonly endpoints: () => readonly Endpoint[],
  ) {}

  listen(): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    this.socket = socket;
    socket.on('message', (msg, from) => this.forward(msg, from));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.ip, port: this.port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) this.drop(s);
    this.sessions.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private forward(msg: Buffer, from: dgram.RemoteInfo): void {
    const id = `${from.address}:${from.port}`;
    let s = this.sessions.get(id);
    if (!s) {
      const candidates = this.endpoints();
      const target = candidates[this.next++ % Math.max(candidates.length, 1)];
      if (!target) return; // like a Service without endpoints: dropped
      const upstream = dgram.createSocket('udp4');
      upstream.on('error', () => this.end(id));
      upstream.on('message', (answer) => {
        const current = this.sessions.get(id);
        if (current) this.touch(id, current);
        this.socket?.send(answer, from.port, from.address);
      });
      upstream.connect(target.port, target.ip);
      const session: Session = { upstream, timer: setTimeout(() => this.end(id), IDLE_MS) };
      this.sessions.set(id, session);
      s = session;
      // Datagrams before the connect completes are queued by sending once connected.
      upstream.once('connect', () => upstream.send(msg));
      return;
    }
    this.touch(id, s);
    s.upstream.send(msg);
  }

  private touch(id: string, s: Session): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => this.end(id), IDLE_MS);
  }

  private end(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.drop(s);
  }

  private drop(s: Session): void {
    clearTimeout(s.timer);
    try {
      s.upstream.close();
    } catch {
      // already closed
    }
  }
}
