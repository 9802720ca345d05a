// Standalone mode's source of objects: the manifests in a directory and its subdirectories,
// reloaded file by file as they change.
//
// - The watcher names the file that changed, and only that file is read again; a file whose
//   content hashes the same as before does nothing. Creations, writes in place, a temporary file
//   renamed over the old one, deletions, renames and moves in and out all name a file (or a
//   subdirectory, which is then walked).
// - Where the watcher names nothing, or names `..data` (the Kubernetes ConfigMap volume swaps that
//   symlink to publish new contents), a stat pass over the tree (size, mtime, inode) finds the files
//   that changed; no unchanged file is read. The same pass runs every `rescanMs` in case events
//   were missed (some filesystems do not report changes).
// - No fixed wait: the first event is handled at once; events that arrive while a reload runs are
//   handled together right after it.
// - Only objects that changed are handed on: each file's objects are diffed against its last good
//   ones (manifest-set.ts); within a file, only documents whose text changed are parsed again
//   (document-cache.ts). A file that fails to parse keeps its last good objects; removing it
//   removes them. Names starting with a dot (editors' temporary files, `..data`) are not manifests.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { KubeObject } from '@gantry/api';
import { MAX_MANIFEST_BYTES, formatManifestError, type ManifestError } from '../manifests/load.js';
import { DocumentCache } from './document-cache.js';
import { ManifestSet, type ObjectChange } from './manifest-set.js';

export type { ObjectChange } from './manifest-set.js';

export interface SourceLog {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface DirectorySourceOptions {
  readonly dir: string;
  readonly log: SourceLog;
  /** Called with the objects that changed: once after the first load (maybe with none), then per reload that changed any. */
  readonly onChanges: (changes: ObjectChange[]) => void;
  /**
   * During the first load: called with the objects read so far, right after the first file that
   * holds a Gateway and then every `partialBytes` of manifests read, before onChanges gets the
   * rest. Without it, the first load is handed on in one piece.
   */
  readonly onPartial?: (changes: ObjectChange[]) => void;
  /** Default 1 MiB (about 1,200 routes, each with its Service and EndpointSlice). */
  readonly partialBytes?: number;
  /** How often a stat pass looks for changes the watcher did not report; 0: never. Default 5000 ms. */
  readonly rescanMs?: number;
  /** Watch for events (default true); false leaves only the stat pass, as on a filesystem whose watcher reports nothing. */
  readonly watch?: boolean;
  /** How long a file that became empty may stay so before its objects are removed (a write in place truncates first). Default 50 ms. */
  readonly emptyGraceMs?: number;
}

const MANIFEST = /\.(ya?ml|json)$/i;

interface FileState {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly hash: string;
}

function sameStat(a: FileState | undefined, s: Stats): boolean {
  return a !== undefined && a.size === s.size && a.mtimeMs === s.mtimeMs && a.ino === s.ino;
}

export class DirectorySource {
  private readonly set = new ManifestSet();
  private readonly documents = new DocumentCache();
  private readonly states = new Map<string, FileState>();
  private readonly watchers = new Map<string, FSWatcher>();
  /** Files found empty that held objects, waiting for their writer to finish. */
  private readonly emptied = new Map<string, 'waiting' | 'due'>();
  private readonly pending = new Set<string>();
  private fullScan = false;
  private running: Promise<void> | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reloads = 0;
  private reads = 0;
  /** During start(): bytes read since the objects were last handed on, and how many objects were. */
  private firstLoad: { bytes: number; objects: number } | undefined;

  /** The directory, absolute and without a trailing separator (paths under it are compared by prefix). */
  private readonly root: string;

  constructor(private readonly opts: DirectorySourceOptions) {
    this.root = resolve(opts.dir);
  }

  /** Loads the tree once, hands on its objects, and starts watching. */
  async start(): Promise<ManifestError[]> {
    const errors: ManifestError[] = [];
    this.firstLoad = { bytes: 0, objects: 0 };
    await this.scan(this.root, errors, new Set());
    const changes = this.set.flush();
    const objects = this.firstLoad.objects + changes.length;
    this.firstLoad = undefined;
    this.opts.log.info('manifests loaded', { dir: this.root, files: this.states.size, objects, errors: errors.length });
    this.opts.onChanges(changes);
    const every = this.opts.rescanMs ?? 5000;
    if (every > 0) {
      this.rescanTimer = setInterval(() => {
        this.fullScan = true;
        this.kick();
      }, every);
      this.rescanTimer.unref();
    }
    return errors;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.rescanTimer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Resolves once every event received so far has been handled (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** How many reloads ran since start (tests). */
  get reloadCount(): number {
    return this.reloads;
  }

  /** How many times a file was read since start (tests). */
  get readCount(): number {
    return this.reads;
  }

  private onEvent(dir: string, name: string | Buffer | null): void {
    if (this.stopped) return;
    const file = name === null ? undefined : name.toString();
    if (file === undefined || file.startsWith('..')) this.fullScan = true; // no name, or a ConfigMap volume swap
    else if (file.startsWith('.')) return; // editors' temporary files
    else this.pending.add(join(dir, file));
    this.kick();
  }

  private kick(): void {
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      // Events raised together (a rename reports both names) are handled together.
      await new Promise((resolve) => setImmediate(resolve));
      while (!this.stopped && (this.fullScan || this.pending.size > 0)) {
        const full = this.fullScan;
        const paths = [...this.pending];
        this.fullScan = false;
        this.pending.clear();
        const started = performance.now();
        const errors: ManifestError[] = [];
        if (full) await this.scan(this.root, errors, new Set());
        else for (const p of paths) await this.check(p, errors);
        const changes = this.set.flush();
        this.reloads++;
        if (changes.length === 0 && errors.length === 0) continue;
        this.opts.log.info('manifests loaded', {
          dir: this.root,
          ...(full ? { scan: true } : { paths: paths.length }),
          changed: changes.length,
          errors: errors.length,
          ms: Math.round((performance.now() - started) * 100) / 100,
        });
        this.warnDuplicates(changes);
        if (changes.length > 0) this.opts.onChanges(changes);
      }
    } catch (err) {
      this.opts.log.error('reloading manifests failed', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.running = undefined;
    }
  }

  /** A path the watcher named: a manifest file, a directory, or something gone. */
  private async check(path: string, errors: ManifestError[]): Promise<void> {
    const s = await stat(path).catch(() => undefined);
    if (s === undefined) {
      this.forgetUnder(path);
      return;
    }
    if (s.isDirectory()) {
      await this.scan(path, errors, new Set());
      return;
    }
    if (s.isFile() && MANIFEST.test(path)) await this.load(path, s, errors, true);
  }

  /**
   * Walks `root` (the whole tree, or a subdirectory that appeared or changed): watches its
   * directories, loads files whose stat changed, forgets files and directories no longer there.
   */
  private async scan(root: string, errors: ManifestError[], visited: Set<string>): Promise<void> {
    const seenFiles = new Set<string>();
    const seenDirs = new Set<string>();
    const walk = async (dir: string): Promise<void> => {
      const ds = await stat(dir).catch(() => undefined);
      if (!ds?.isDirectory()) return;
      const id = `${ds.dev}:${ds.ino}`;
      if (visited.has(id)) return; // a symlink loop
      visited.add(id);
      seenDirs.add(dir);
      this.watchDir(dir);
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
      for (const name of names) {
        const path = join(dir, name);
        const s = await stat(path).catch(() => undefined); // follows symlinks (ConfigMap volumes)
        if (s === undefined) continue;
        if (s.isDirectory()) await walk(path);
        else if (s.isFile() && MANIFEST.test(name)) {
          seenFiles.add(path);
          if (!sameStat(this.states.get(path), s)) await this.load(path, s, errors, false);
        }
      }
    };
    await walk(root);
    const under = root + sep;
    for (const file of [...this.states.keys(), ...this.set.fileNames()]) {
      if ((file === root || file.startsWith(under)) && !seenFiles.has(file)) this.forget(file);
    }
    for (const dir of [...this.watchers.keys()]) {
      if ((dir === root || dir.startsWith(under)) && !seenDirs.has(dir)) this.unwatch(dir);
    }
  }

  /** Reads a file whose stat changed (or that an event named); parses it if its content did. */
  private async load(path: string, s: Stats, errors: ManifestError[], named: boolean): Promise<void> {
    this.reads++;
    if (s.size > MAX_MANIFEST_BYTES) {
      // Never read: a file this large is refused before it costs memory or time.
      const e: ManifestError = { file: path, document: 0, message: `file too large: ${s.size} bytes (at most ${MAX_MANIFEST_BYTES})` };
      errors.push(e);
      this.opts.log.error(`invalid manifest, keeping the file's last good version: ${formatManifestError(e)}`);
      return;
    }
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) {
      this.forget(path);
      return;
    }
    const hash = createHash('sha256').update(text).digest('base64');
    const prev = this.states.get(path);
    this.states.set(path, { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, hash });
    if (prev?.hash === hash) return;
    const emptied = this.emptied.get(path);
    if (text.length === 0 && this.set.has(path) && emptied !== 'due') {
      // A write in place truncates, then writes: give the writer a moment before removing everything.
      this.states.delete(path);
      if (emptied === 'waiting') return; // the recheck is scheduled
      this.emptied.set(path, 'waiting');
      setTimeout(() => {
        if (this.stopped || this.emptied.get(path) !== 'waiting') return;
        this.emptied.set(path, 'due');
        this.pending.add(path);
        this.kick();
      }, this.opts.emptyGraceMs ?? 50).unref();
      return;
    }
    this.emptied.delete(path);
    const parsed = this.documents.parse(path, text);
    if (parsed.errors.length > 0) {
      errors.push(...parsed.errors);
      const refused = new Set(parsed.errors.map((e) => e.object));
      if (refused.has(undefined)) {
        // Not tied to one object (malformed YAML, say): the whole file keeps its last good version.
        for (const e of parsed.errors) this.opts.log.error(`invalid manifest, keeping the file's last good version: ${formatManifestError(e)}`);
        return;
      }
      // As the API server would: a refused object keeps its last good version, the others apply.
      for (const e of parsed.errors) this.opts.log.error(`invalid object, keeping its last good version: ${formatManifestError(e)}`);
      this.set.setFile(path, [...parsed.objects, ...this.set.heldIn(path, refused as Set<string>)]);
      return;
    }
    if (named) this.opts.log.info('manifest changed', { file: path, objects: parsed.objects.length });
    this.set.setFile(path, parsed.objects);
    this.handOnPartial(text.length, parsed.objects);
  }

  /**
   * During the first load: hands on what was read so far once enough was (see onPartial), and
   * the first time at once when a file held a Gateway: its Envoy then boots (a process start of
   * about 0.2 s) while the rest is read, instead of after the first part.
   */
  private handOnPartial(bytes: number, objects: readonly KubeObject[]): void {
    const first = this.firstLoad;
    if (first === undefined || this.opts.onPartial === undefined) return;
    first.bytes += bytes;
    const gatewayFirst = first.objects === 0 && objects.some((o) => o.kind === 'Gateway');
    if (!gatewayFirst && first.bytes < (this.opts.partialBytes ?? 1 << 20)) return;
    first.bytes = 0;
    const changes = this.set.flush();
    first.objects += changes.length;
    if (changes.length > 0) this.opts.onPartial(changes);
  }

  /** A path that is gone: a file, or a directory with everything under it. */
  private forgetUnder(path: string): void {
    const under = path + sep;
    for (const file of [...this.states.keys()]) if (file === path || file.startsWith(under)) this.forget(file);
    for (const file of [...this.set.fileNames()]) if (file === path || file.startsWith(under)) this.forget(file);
    for (const dir of [...this.watchers.keys()]) if (dir === path || dir.startsWith(under)) this.unwatch(dir);
  }

  private forget(file: string): void {
    this.states.delete(file);
    this.emptied.delete(file);
    this.documents.forget(file);
    this.set.setFile(file, undefined);
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir) || this.stopped || this.opts.watch === false) return;
    try {
      const w = watch(dir, (_event, name) => this.onEvent(dir, name));
      w.on('error', () => {
        // The directory went away (or cannot be watched any more): look at what is left.
        this.unwatch(dir);
        this.pending.add(dir);
        this.kick();
      });
      this.watchers.set(dir, w);
    } catch (err) {
      this.opts.log.error('cannot watch directory', { dir, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private warnDuplicates(changes: readonly ObjectChange[]): void {
    for (const c of changes) {
      const dups = this.set.duplicatesOf(c.key);
      if (dups.length > 0) this.opts.log.warn('object defined in more than one file; the first file (by path) wins', { object: c.key, ignored: dups });
    }
  }
}
