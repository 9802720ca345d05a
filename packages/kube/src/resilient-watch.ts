// A list-then-watch loop that keeps going whatever the API server does. client-node's informer
// gives up for good on an error other than 410, so this one owns the loop:
//
//   list (paged) ─► RESYNC with the full set ─► watch from the list's resourceVersion (bookmarks on)
//        ▲                                            │
//        ├──── 410 Gone / Expired ◄───────────────────┤  (relist at once)
//        ├──── error, or stalled (watchdog) ◄─────────┤  (relist after backoff with jitter)
//        └──── (no relist) clean close ◄──────────────┘  (re-watch from the last resourceVersion)
//
// Every list is delivered as one RESYNC carrying the whole set, so whatever happened while the
// watch was down (deletions included) reaches the consumer; the store keeps the identity of
// objects whose resourceVersion did not change.
import type { KubeAccess } from './kubeconfig.js';
import { Backoff, DEFAULT_BACKOFF, jittered, type BackoffOptions } from './backoff.js';
import { collectionPath, type KindRef } from './kinds.js';
import { silentLogger, type Logger } from './logger.js';
import { asKubeObject, isJsonObject, type Json, type JsonObject, type KubeObjectLike } from './objects.js';
import { KubeApiError, METADATA_ONLY_ACCEPT, openLineStream, requestJson, errorFromResponse, type Query } from './rest.js';
import { stripObject, stripToMetadata } from './strip.js';
import { sleepUnlessAborted } from './sleep.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'RESYNC';

export interface WatchEvent<T> {
  readonly type: WatchEventType;
  /** ADDED, MODIFIED, DELETED: the object (for DELETED, its last state). */
  readonly object?: T;
  /** RESYNC: every object that exists now; anything else the consumer holds is gone. */
  readonly objects?: readonly T[];
}

export type WatchListener<T> = (event: WatchEvent<T>) => void;

export interface ResilientWatchOptions<T> {
  /** Only this namespace; all namespaces when undefined (or for a cluster-scoped kind). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * Ask the API server for the objects' metadata only (PartialObjectMetadata): for kinds read
   * only for their labels, whose whole objects would cost memory and bandwidth for nothing.
   * Objects still arrive with the watched kind's apiVersion and kind.
   */
  readonly metadataOnly?: boolean;
  /** What to keep of each object; `stripObject` (no managedFields, frozen) by default. */
  readonly strip?: (raw: JsonObject) => T;
  /**
   * Nothing at all (event, bookmark, or response headers) for this long → the stream is
   * presumed dead: tear it down and relist. The API server sends a bookmark about once a minute
   * on an idle watch, so keep this well above that. Default 150 s.
   */
  readonly watchdogMs?: number;
  readonly backoff?: BackoffOptions;
  readonly logger?: Logger;
  /** Time limit of each list request (a page). Default 30 s. */
  readonly listTimeoutMs?: number;
  /** Page size of lists. Default 500. */
  readonly pageSize?: number;
  /**
   * Server-side lifetime of one watch request, jittered ±25% so watches do not reconnect in
   * step. Default 300 s. Ending it is routine: the watch resumes from where it was, no relist.
   */
  readonly watchTimeoutSeconds?: number;
  /** A stream that stayed open this long proves the server healthy: the backoff starts over. */
  readonly healthyStreamMs?: number;
}

/** Counters for metrics. Monotonic. */
export interface WatchStats {
  /** Full lists delivered (the first one included). */
  lists: number;
  /** Times the watch stream was re-established (every stream after the first). */
  restarts: number;
  /** Relists caused by 410 Gone / Expired. */
  goneRelists: number;
  /** Streams torn down by the watchdog. */
  watchdogFirings: number;
  /** Failed list or watch requests, and streams that broke. */
  errors: number;
  /** ADDED/MODIFIED/DELETED events delivered. */
  events: number;
  bookmarks: number;
}

const DEFAULT_WATCHDOG_MS = 150_000;
const DEFAULT_WATCH_TIMEOUT_S = 300;
const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_LIST_TIMEOUT_MS = 30_000;
const DEFAULT_HEALTHY_STREAM_MS = 2_000;

type StreamEnd =
  | { readonly reason: 'closed' }
  | { readonly reason: 'gone' }
  | { readonly reason: 'stalled' }
  | { readonly reason: 'error'; readonly error: KubeApiError }
  | { readonly reason: 'stopped' };

/** Whether a watch ERROR event's Status, or a refused request, means "resourceVersion too old". */
export function isGone(err: { statusCode?: number; reason?: string }): boolean {
  return err.statusCode === 410 || err.reason === 'Expired' || err.reason === 'Gone';
}

export class ResilientWatch<T extends KubeObjectLike = KubeObjectLike> {
  /** Resolves when the first full list has been delivered; rejects if stopped before that. */
  readonly synced: Promise<void>;
  readonly stats: WatchStats = { lists: 0, restarts: 0, goneRelists: 0, watchdogFirings: 0, errors: 0, events: 0, bookmarks: 0 };

  private readonly listeners = new Set<WatchListener<T>>();
  private readonly log: Logger;
  private readonly strip: (raw: JsonObject) => T;
  private readonly backoff: Backoff;
  private readonly watchdogMs: number;
  private readonly path: string;
  private resolveSynced!: () => void;
  private rejectSynced!: (err: Error) => void;
  private isSynced = false;
  private running: Promise<void> | undefined;
  private stopping = false;
  /** Aborts whatever is in flight: a list, a stream, or a backoff sleep. */
  private readonly abort = new AbortController();
  private lastResourceVersion: string | undefined;

  constructor(
    private readonly kc: KubeAccess,
    readonly kind: KindRef,
    private readonly opts: ResilientWatchOptions<T> = {},
  ) {
    this.log = opts.logger ?? silentLogger;
    this.strip = opts.strip ?? (opts.metadataOnly ? (raw) => stripToMetadata<T>(kind, raw) : (raw) => stripObject<T>(kind, raw));
    this.backoff = new Backoff(opts.backoff ?? DEFAULT_BACKOFF);
    this.watchdogMs = opts.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    this.path = collectionPath(kind, this.namespace);
    this.synced = new Promise<void>((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    this.synced.catch(() => {}); // nobody awaiting is not an unhandled rejection
  }

  /** The namespace watched; undefined for all namespaces (and cluster-scoped kinds). */
  get namespace(): string | undefined {
    return this.kind.namespaced ? this.opts.namespace : undefined;
  }

  /** Shorthand for `stats.restarts`. */
  get restarts(): number {
    return this.stats.restarts;
  }

  /** The resourceVersion the watch would resume from; undefined before the first list. */
  get resourceVersion(): string | undefined {
    return this.lastResourceVersion;
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  /** Adds a listener; returns its removal. Listeners run synchronously, in order. */
  onEvent(listener: WatchListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = this.run().catch((err: unknown) => {
      this.log.error('watch loop crashed', { kind: this.kind.kind, error: String(err) });
    });
  }

  /** Stops the loop and closes the stream; resolves once nothing is in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    if (!this.isSynced) this.rejectSynced(new Error(`watch of ${this.kind.kind} stopped before its first list`));
    await this.running;
  }

  // ---- the loop -------------------------------------------------------------------------------

  /**
   * Where the first watch starts; undefined (list first) here. Tests override it to resume from
   * an ancient resourceVersion and so exercise the 410 → relist path against a real server.
   */
  protected initialResourceVersion(): string | undefined {
    return undefined;
  }

  private async run(): Promise<void> {
    let rv = this.initialResourceVersion();
    let firstStream = true;
    while (!this.stopping) {
      if (rv === undefined) {
        try {
          rv = await this.listAndDeliver();
        } catch (err) {
          if (this.stopping) break;
          this.stats.errors++;
          const delay = this.backoff.next();
          this.log.warn('list failed; retrying', { kind: this.kind.kind, error: describe(err), retryInMs: delay });
          await this.sleep(delay);
          continue;
        }
      }
      if (!firstStream) this.stats.restarts++;
      firstStream = false;
      const startedAt = Date.now();
      const end = await this.watchOnce(rv);
      if (this.stopping || end.reason === 'stopped') break;
      rv = this.lastResourceVersion;
      const healthy = Date.now() - startedAt >= (this.opts.healthyStreamMs ?? DEFAULT_HEALTHY_STREAM_MS);
      if (healthy) this.backoff.reset();
      const fields = { kind: this.kind.kind, resourceVersion: rv };
      let delay = 0;
      switch (end.reason) {
        case 'closed':
          // Routine (the server's timeout) when healthy: resume from rv at once.
          if (!healthy) delay = this.backoff.next();
          this.log.debug('watch closed; resuming', { ...fields, retryInMs: delay });
          break;
        case 'gone':
          this.stats.goneRelists++;
          rv = undefined;
          if (!healthy) delay = this.backoff.next();
          this.log.info('resourceVersion too old (410); relisting', { ...fields, retryInMs: delay });
          break;
        case 'stalled':
          this.stats.watchdogFirings++;
          rv = undefined;
          delay = this.backoff.next();
          this.log.warn('watch stalled (watchdog); relisting', { ...fields, watchdogMs: this.watchdogMs, retryInMs: delay });
          break;
        case 'error':
          this.stats.errors++;
          rv = undefined;
          delay = this.backoff.next();
          this.log.warn('watch failed; relisting', { ...fields, error: end.error.message, retryInMs: delay });
          break;
      }
      if (delay > 0) await this.sleep(delay);
    }
  }

  /** Lists every page, delivers a RESYNC, returns the list's resourceVersion. */
  private async listAndDeliver(): Promise<string> {
    const pageSize = this.opts.pageSize ?? DEFAULT_PAGE_SIZE;
    let items: T[] = [];
    let rv = '';
    let cont: string | undefined;
    let paged = true;
    for (;;) {
      const query: Query = {
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: paged ? pageSize : undefined,
        continue: cont,
      };
      const r = await requestJson(this.kc, this.path, {
        query,
        signal: this.abort.signal,
        timeoutMs: this.opts.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS,
        ...(this.opts.metadataOnly ? { accept: METADATA_ONLY_ACCEPT.list } : {}),
      });
      if (r.status === 410 && cont !== undefined) {
        // The continue token expired mid-list (compaction): start over in one piece.
        this.log.info('list continuation expired; listing without pages', { kind: this.kind.kind });
        items = [];
        cont = undefined;
        paged = false;
        continue;
      }
      if (r.status !== 200) throw errorFromResponse(r.status, r.body, `list ${this.path}`);
      const body = r.body;
      if (!isJsonObject(body)) throw new KubeApiError(`list ${this.path}: not a JSON object`);
      for (const raw of arrayOf(body['items'])) {
        const obj = asKubeObject(raw);
        if (obj) items.push(this.strip(obj));
      }
      const meta = isJsonObject(body['metadata']) ? body['metadata'] : {};
      rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : rv;
      cont = typeof meta['continue'] === 'string' && meta['continue'] !== '' ? meta['continue'] : undefined;
      if (cont === undefined) break;
    }
    if (this.stopping) throw new Error('stopped');
    this.lastResourceVersion = rv;
    this.stats.lists++;
    this.deliver({ type: 'RESYNC', objects: items });
    if (!this.isSynced) {
      this.isSynced = true;
      this.resolveSynced();
    }
    return rv;
  }

  /** One watch request, from `rv` until it ends one way or another. */
  private watchOnce(rv: string): Promise<StreamEnd> {
    return new Promise<StreamEnd>((resolve) => {
      const streamAbort = new AbortController();
      const onStop = (): void => finish({ reason: 'stopped' });
      this.abort.signal.addEventListener('abort', onStop, { once: true });
      let done = false;
      const finish = (end: StreamEnd): void => {
        if (done) return;
        done = true;
        clearTimeout(watchdog);
        this.abort.signal.removeEventListener('abort', onStop);
        streamAbort.abort();
        resolve(end);
      };
      const watchdog = setTimeout(() => finish({ reason: 'stalled' }), this.watchdogMs);
      if (this.abort.signal.aborted) return finish({ reason: 'stopped' });

      const query: Query = {
        watch: 'true',
        resourceVersion: rv,
        allowWatchBookmarks: 'true',
        timeoutSeconds: jittered(this.opts.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_S, 0.25),
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      };
      openLineStream(this.kc, this.path, query, streamAbort.signal, {
        onLine: (line) => {
          if (done) return;
          watchdog.refresh();
          const outcome = this.handleLine(line);
          if (outcome) finish(outcome);
        },
        onEnd: (error) => finish(error ? { reason: 'error', error } : { reason: 'closed' }),
      }, this.opts.metadataOnly ? METADATA_ONLY_ACCEPT.watch : undefined).then(
        () => {
          if (!done) watchdog.refresh(); // headers arrived: the server is alive
        },
        (err: unknown) => {
          const e = err instanceof KubeApiError ? err : new KubeApiError(describe(err));
          finish(isGone(e) ? { reason: 'gone' } : { reason: 'error', error: e });
        },
      );
    });
  }

  /** Applies one watch event; returns how the stream ends when the event ends it. */
  private handleLine(line: string): StreamEnd | undefined {
    let parsed: Json;
    try {
      parsed = JSON.parse(line) as Json;
    } catch {
      return { reason: 'error', error: new KubeApiError(`watch ${this.path}: undecodable event`) };
    }
    if (!isJsonObject(parsed)) return undefined;
    const type = parsed['type'];
    const object = parsed['object'];
    if (type === 'ERROR') {
      const status = isJsonObject(object) ? object : {};
      const code = typeof status['code'] === 'number' ? status['code'] : undefined;
      const reason = typeof status['reason'] === 'string' ? status['reason'] : undefined;
      const e = { statusCode: code, reason };
      if (isGone(e)) return { reason: 'gone' };
      const message = typeof status['message'] === 'string' ? status['message'] : 'error event';
      return { reason: 'error', error: new KubeApiError(`watch ${this.path}: ${message}`, code, reason) };
    }
    const obj = asKubeObject(object);
    if (!obj) return undefined;
    const rv = obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') {
      this.stats.bookmarks++;
      if (rv) this.lastResourceVersion = rv;
      return undefined;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return undefined;
    if (rv) this.lastResourceVersion = rv;
    this.stats.events++;
    this.deliver({ type, object: this.strip(obj) });
    return undefined;
  }

  private deliver(event: WatchEvent<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // A faulty consumer must not take the watch down with it.
        this.log.error('watch listener threw', { kind: this.kind.kind, type: event.type, error: describe(err) });
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return sleepUnlessAborted(ms, this.abort.signal);
  }
}

function arrayOf(value: Json | undefined): readonly Json[] {
  return Array.isArray(value) ? value : [];
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
