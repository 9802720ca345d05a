import { afterAll, describe, expect, it } from '@jest/globals';
import { createSocket, type Socket } from 'node:dgram';
import { UdpForwarder } from './udp-forwarder.js';

const closers: (() => void)[] = [];
afterAll(() => {
  for (const c of closers) c();
});

async function echo(name: string): Promise<number> {
  const s: Socket = createSocket('udp4');
  s.on('message', (msg, from) => s.send(`${name}:${msg.toString()}`, from.port, from.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  closers.push(() => s.close());
  return s.address().port;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Sends from one client socket; returns its answers, one per datagram sent. */
async function exchange(port: number, texts: readonly string[]): Promise<string[]> {
  const s = createSocket('udp4');
  const answers: string[] = [];
  const done = new Promise<void>((resolve) => {
    s.on('message', (m) => {
      answers.push(m.toString());
      if (answers.length === texts.length) resolve();
    });
  });
  for (const t of texts) s.send(t, port, '127.0.0.1');
  await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
  s.close();
  return answers;
}

describe('UdpForwarder', () => {
  it('relays a session to one endpoint and its answers back; sessions go round robin', async () => {
    const a = await echo('a');
    const b = await echo('b');
    const port = await freeUdpPort();
    const f = new UdpForwarder('127.0.0.1', port, () => [{ ip: '127.0.0.1', port: a }, { ip: '127.0.0.1', port: b }]);
    await f.listen();
    closers.push(() => void f.close());
    const first = await exchange(port, ['x', 'y']);
    expect(first.sort()).toEqual(['a:x', 'a:y']);
    expect(await exchange(port, ['z'])).toEqual(['b:z']);
    await f.close();
  });

  it('drops datagrams when the Service has no endpoints', async () => {
    const port = await freeUdpPort();
    const f = new UdpForwarder('127.0.0.1', port, () => []);
    await f.listen();
    expect(await exchange(port, ['x'])).toEqual([]);
    await f.close();
  });
});
