// The directory source against a real directory, without Envoy: the stat pass alone (a filesystem
// whose watcher reports nothing) finds what changed and reads nothing else.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySource, type ObjectChange } from './directory-source.js';

const svc = (name: string, port = 80): string => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {ports: [{port: ${port}}]}\n`;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const short = (c: ObjectChange): string => `${c.before === undefined ? '+' : c.after === undefined ? '-' : '~'}${c.key}`;

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('DirectorySource without events', () => {
  let source: DirectorySource | undefined;
  let dir = '';
  afterEach(async () => {
    source?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds changed, new and removed files by stat and reads only those', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-dirsource-'));
    for (let i = 0; i < 20; i++) await writeFile(join(dir, `s${i}.yaml`), svc(`s${i}`));
    const batches: string[][] = [];
    // A trailing separator, as a user may type it.
    source = new DirectorySource({ dir: `${dir}/`, log: quiet, watch: false, rescanMs: 30, onChanges: (c) => batches.push(c.map(short)) });
    await source.start();
    expect(batches.splice(0)[0]).toHaveLength(20);
    const readsAfterStart = source.readCount;
    expect(readsAfterStart).toBe(20);

    await writeFile(join(dir, 's3.yaml'), svc('s3', 81));
    await writeFile(join(dir, 'new.yaml'), svc('n'));
    await unlink(join(dir, 's7.yaml'));
    await until('the changes', () => batches.flat().length >= 3);
    expect(batches.flat().sort()).toEqual(['+Service/default/n', '-Service/default/s7', '~Service/default/s3']);
    expect(source.readCount - readsAfterStart).toBe(2);

    // A touch changes the stat but not the content: read once, nothing handed on.
    const later = new Date(Date.now() + 5000);
    await utimes(join(dir, 's5.yaml'), later, later);
    const reads = source.readCount;
    await until('the touched file read', () => source!.readCount > reads);
    await new Promise((r) => setTimeout(r, 100));
    expect(source.readCount - reads).toBe(1);
    expect(batches.flat()).toHaveLength(3);
  });

  it('a refused object keeps its last good version while the other objects of its file apply', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-dirsource-'));
    const file = join(dir, 'two.yaml');
    await writeFile(file, `${svc('a')}---\n${svc('b')}`);
    const batches: ObjectChange[][] = [];
    source = new DirectorySource({ dir, log: quiet, watch: false, rescanMs: 30, onChanges: (c) => batches.push([...c]) });
    await source.start();
    expect(batches.splice(0).flat().map(short).sort()).toEqual(['+Service/default/a', '+Service/default/b']);

    // b gets a port the API server would refuse; a changes: a's change applies, b stays as it was.
    await writeFile(file, `${svc('a', 81)}---\n${svc('b', 70000)}`);
    await until('the change to a', () => batches.flat().length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(batches.flat().map(short)).toEqual(['~Service/default/a']);
  });

  it('gives a file that became empty a moment before removing its objects (a write in place truncates first)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-dirsource-'));
    await writeFile(join(dir, 'a.yaml'), svc('a'));
    const batches: string[][] = [];
    source = new DirectorySource({ dir, log: quiet, rescanMs: 0, emptyGraceMs: 200, onChanges: (c) => batches.push(c.map(short)) });
    await source.start();
    batches.splice(0);

    // Truncated, then written within the grace: one change, never a removal.
    await truncate(join(dir, 'a.yaml'));
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(join(dir, 'a.yaml'), svc('a', 81));
    await until('the change', () => batches.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(batches.splice(0)).toEqual([['~Service/default/a']]);

    // Left empty: the objects go once the grace is over.
    const emptied = Date.now();
    await truncate(join(dir, 'a.yaml'));
    await until('the removal', () => batches.length > 0);
    expect(Date.now() - emptied).toBeGreaterThanOrEqual(150);
    expect(batches).toEqual([['-Service/default/a']]);
  });
});

describe('DirectorySource first load in parts', () => {
  let dir = '';
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const gateway = 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: {gatewayClassName: gantry, listeners: [{name: http, port: 8080, protocol: HTTP}]}\n';

  async function firstLoad(files: Record<string, string>): Promise<{ partial: string[][]; final: string[][] }> {
    dir = await mkdtemp(join(tmpdir(), 'gantry-dirsource-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const partial: string[][] = [];
    const final: string[][] = [];
    const source = new DirectorySource({ dir, log: quiet, watch: false, rescanMs: 0, onPartial: (c) => partial.push(c.map(short)), onChanges: (c) => final.push(c.map(short)) });
    await source.start();
    source.stop();
    return { partial, final };
  }

  it('hands on the first file that holds a Gateway at once (its Envoy boots while the rest is read), then the rest in one piece', async () => {
    const { partial, final } = await firstLoad({ 'a-gateway.yaml': gateway, 'b.yaml': svc('b'), 'c.yaml': svc('c') });
    expect(partial).toEqual([['+Gateway/default/gw']]);
    expect(final).toEqual([['+Service/default/b', '+Service/default/c']]);
  });

  it('a small directory whose first files hold no Gateway is handed on in one piece', async () => {
    const { partial, final } = await firstLoad({ 'a.yaml': svc('a'), 'b.yaml': svc('b') });
    expect(partial).toEqual([]);
    expect(final).toEqual([['+Service/default/a', '+Service/default/b']]);
  });
});
