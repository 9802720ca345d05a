// Standalone mode's source of objects: the manifests in one directory, reloaded on change.
// A file that fails to parse keeps serving its last good contents, so a typo never drops routes.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { KubeObject } from '@gantry/api';
import { expandManifestPaths } from '../manifests/files.js';
import { formatManifestError, parseManifests, type ManifestError } from '../manifests/load.js';

export interface SourceLog {
  info(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface DirectorySourceOptions {
  readonly dir: string;
  readonly debounceMs?: number;
  readonly log: SourceLog;
  /** Called with every object of every file after each (re)load. */
  readonly onObjects: (objects: KubeObject[]) => void;
}

export class DirectorySource {
  private readonly lastGood = new Map<string, KubeObject[]>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> = Promise.resolve();

  constructor(private readonly opts: DirectorySourceOptions) {}

  /** Loads the directory once and starts watching it. */
  async start(): Promise<void> {
    await this.reload();
    this.watcher = watch(this.opts.dir, () => this.schedule());
    this.watcher.on('error', (err) => this.opts.log.error('cannot watch directory', { dir: this.opts.dir, error: err.message }));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.loading = this.loading.then(async () => { await this.reload(); });
    }, this.opts.debounceMs ?? 100);
  }

  /** Re-reads every file; returns the errors found (also logged). */
  async reload(): Promise<ManifestError[]> {
    const files = await expandManifestPaths([this.opts.dir]);
    const present = new Set(files);
    for (const f of this.lastGood.keys()) if (!present.has(f)) this.lastGood.delete(f);
    const errors: ManifestError[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // removed between listing and reading
      const parsed = parseManifests(text, file);
      if (parsed.errors.length > 0) {
        errors.push(...parsed.errors);
        for (const e of parsed.errors) {
          this.opts.log.error(`invalid manifest, keeping the file's last good version: ${formatManifestError(e)}`);
        }
        continue;
      }
      this.lastGood.set(file, parsed.objects);
    }
    this.opts.log.info('manifests loaded', { dir: this.opts.dir, files: files.length, errors: errors.length });
    this.opts.onObjects([...this.lastGood.values()].flat());
    return errors;
  }
}
