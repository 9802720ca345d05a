// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules:
//  - a candidate takes the lease when it is free, or when its record has not changed for a lease
//    duration *as measured on the candidate's own clock* (no trust in other nodes' clocks);
//  - the leader renews every retry period, and steps down when it could not renew within the
//    renew deadline (shorter than the lease duration, so it stops before anyone else may start);
//  - every write carries the read resourceVersion, so two candidates never both win.
// After stepping down the elector becomes a candidate again; callers that prefer to exit can do
// so on 'stopped-leading'.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { KubeAccess } from './kubeconfig.js';
import { jittered } from './backoff.js';
import { apiVersionOf, collectionPath, CORE_KINDS, objectPath } from './kinds.js';
import { silentLogger, type Logger } from './logger.js';
import { isJsonObject, type Json, type JsonObject } from './objects.js';
import { errorFromResponse, requestJson } from './rest.js';
import { sleepUnlessAborted } from './sleep.js';

export interface LeaderElectorOptions {
  readonly namespace: string;
  /** The Lease's name. */
  readonly name: string;
  /** This candidate, unique among replicas (pod name, or hostname + random). */
  readonly identity: string;
  /** How long a silent lease stays someone else's. Written in whole seconds. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** The leader steps down when it could not renew for this long. Default 10 s. */
  readonly renewDeadlineMs?: number;
  /** Between attempts (acquire polls are jittered up to +20%). Default 2 s. */
  readonly retryPeriodMs?: number;
  readonly logger?: Logger;
}

export interface LeaderElectorEvents {
  'started-leading': [];
  'stopped-leading': [];
  /** A different holder was observed (this candidate included). */
  'new-leader': [identity: string];
}

/** The spec of a coordination.k8s.io/v1 Lease. */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface LeaseObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseRecord;
}

/** RFC 3339 with microseconds, the wire form of a MicroTime. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function recordOf(spec: Json | undefined): LeaseRecord {
  if (!isJsonObject(spec)) return {};
  const r: LeaseRecord = {};
  if (typeof spec['holderIdentity'] === 'string') r.holderIdentity = spec['holderIdentity'];
  if (typeof spec['leaseDurationSeconds'] === 'number') r.leaseDurationSeconds = spec['leaseDurationSeconds'];
  if (typeof spec['acquireTime'] === 'string') r.acquireTime = spec['acquireTime'];
  if (typeof spec['renewTime'] === 'string') r.renewTime = spec['renewTime'];
  if (typeof spec['leaseTransitions'] === 'number') r.leaseTransitions = spec['leaseTransitions'];
  return r;
}

function leaseOf(body: Json | undefined): LeaseObject | undefined {
  if (!isJsonObject(body) || !isJsonObject(body['metadata'])) return undefined;
  const m = body['metadata'];
  if (typeof m['name'] !== 'string' || typeof m['namespace'] !== 'string') return undefined;
  const resourceVersion = typeof m['resourceVersion'] === 'string' ? m['resourceVersion'] : undefined;
  return { metadata: { name: m['name'], namespace: m['namespace'], resourceVersion }, spec: recordOf(body['spec']) };
}

export class LeaderElector extends EventEmitter<LeaderElectorEvents> {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;
  private leading = false;
  /** Monotonic time at which the last successful write was sent. */
  private lastRenewAt = -Infinity;
  /** The last lease read or written. */
  private lease: LeaseObject | undefined;
  /** The observed record (JSON) and when, on our clock, it was first seen in that state. */
  private observedRaw: string | undefined;
  private observedAt = 0;
  private observedHolder = '';
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly kc: KubeAccess,
    private readonly opts: LeaderElectorOptions,
  ) {
    super();
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.log = opts.logger ?? silentLogger;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs * 1.2 && this.retryPeriodMs > 0)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod > 0');
    }
    if (!opts.identity) throw new Error('leader election needs a non-empty identity');
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** True while this candidate holds the lease and its last renewal is within the deadline. */
  isLeader(): boolean {
    return this.leading && performance.now() < this.lastRenewAt + this.renewDeadlineMs;
  }

  /** The holder last observed ('' when none). */
  get leader(): string {
    return this.observedHolder;
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = this.run().catch((err: unknown) => {
      this.log.error('leader election loop crashed', { lease: this.leaseName(), error: String(err) });
    });
  }

  /**
   * Stops campaigning. When leading, releases the lease (so a successor starts at once) unless
   * `release` is false, which leaves it to expire as after a crash.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.running;
    if (!this.leading) return;
    if (opts.release !== false) await this.release();
    this.stepDown('stopped');
  }

  // ---- the loop -------------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (!(await this.tryAcquireOrRenew(this.retryPeriodMs * 2))) {
        await this.sleep(jittered(this.retryPeriodMs * 1.1, 0.1 / 1.1));
        continue;
      }
      this.leading = true;
      this.log.info('became leader', { lease: this.leaseName(), identity: this.opts.identity });
      this.emit('started-leading');
      await this.renewLoop();
    }
  }

  /** Renews every retry period until a renewal misses the deadline or we are stopped. */
  private async renewLoop(): Promise<void> {
    while (!this.stopping) {
      await this.sleep(this.retryPeriodMs);
      for (;;) {
        if (this.stopping) return;
        const left = this.lastRenewAt + this.renewDeadlineMs - performance.now();
        if (left <= 0) {
          this.stepDown('renew deadline passed');
          return;
        }
        if (await this.tryAcquireOrRenew(left)) break;
        if (!this.leading) return; // someone else holds it (observed by tryAcquireOrRenew)
        await this.sleep(Math.min(this.retryPeriodMs, Math.max(0, this.lastRenewAt + this.renewDeadlineMs - performance.now())));
      }
    }
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.log.warn('stopped leading', { lease: this.leaseName(), identity: this.opts.identity, why });
    this.emit('stopped-leading');
  }

  /** One attempt; true when we hold the lease afterwards. Never throws. */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const sentAt = performance.now();
    const now = new Date();
    try {
      // The leader writes its renewal straight away; a conflict means re-reading.
      if (this.leading && this.lease && this.lease.spec.holderIdentity === this.opts.identity) {
        const renewed = { ...this.lease, spec: { ...this.lease.spec, renewTime: microTime(now) } };
        if (await this.write(renewed, timeoutMs, sentAt)) return true;
      }
      const r = await requestJson(this.kc, objectPath(CORE_KINDS.Lease, this.opts.namespace, this.opts.name), {
        timeoutMs,
        signal: this.abort.signal,
      });
      if (r.status === 404) return await this.create(now, timeoutMs, sentAt);
      const lease = r.status === 200 ? leaseOf(r.body) : undefined;
      if (!lease) throw errorFromResponse(r.status, r.body, `get lease ${this.leaseName()}`);
      this.lease = lease;
      const readAt = performance.now();
      this.observe(lease.spec, readAt);
      const holder = lease.spec.holderIdentity ?? '';
      if (holder !== '' && holder !== this.opts.identity) {
        const durationMs = (lease.spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
        if (this.observedAt + durationMs > readAt) {
          // Held by someone else, and not expired on our clock.
          if (this.leading) this.stepDown(`lease held by ${holder}`);
          return false;
        }
      }
      const spec: LeaseRecord =
        holder === this.opts.identity
          ? { ...lease.spec, renewTime: microTime(now) }
          : {
              holderIdentity: this.opts.identity,
              leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1,
            };
      return await this.write({ ...lease, spec }, timeoutMs, sentAt);
    } catch (err) {
      if (!this.stopping) this.log.warn('lease attempt failed', { lease: this.leaseName(), error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }

  private async create(now: Date, timeoutMs: number, sentAt: number): Promise<boolean> {
    const body: JsonObject = {
      apiVersion: apiVersionOf(CORE_KINDS.Lease),
      kind: 'Lease',
      metadata: { name: this.opts.name, namespace: this.opts.namespace },
      spec: {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    const r = await requestJson(this.kc, collectionPath(CORE_KINDS.Lease, this.opts.namespace), {
      method: 'POST',
      body,
      timeoutMs,
      signal: this.abort.signal,
    });
    if (r.status === 409) return false; // another candidate created it first
    const lease = r.status === 201 || r.status === 200 ? leaseOf(r.body) : undefined;
    if (!lease) throw errorFromResponse(r.status, r.body, `create lease ${this.leaseName()}`);
    this.accepted(lease, sentAt);
    return true;
  }

  /** PUT guarded by the lease's resourceVersion; true when accepted. */
  private async write(lease: LeaseObject, timeoutMs: number, sentAt: number): Promise<boolean> {
    const r = await requestJson(this.kc, objectPath(CORE_KINDS.Lease, this.opts.namespace, this.opts.name), {
      method: 'PUT',
      body: { apiVersion: apiVersionOf(CORE_KINDS.Lease), kind: 'Lease', metadata: lease.metadata, spec: { ...lease.spec } },
      timeoutMs,
      signal: this.abort.signal,
    });
    if (r.status === 409) return false;
    const written = r.status === 200 ? leaseOf(r.body) : undefined;
    if (!written) throw errorFromResponse(r.status, r.body, `update lease ${this.leaseName()}`);
    this.accepted(written, sentAt);
    return true;
  }

  private accepted(lease: LeaseObject, sentAt: number): void {
    this.lease = lease;
    this.lastRenewAt = sentAt;
    this.observe(lease.spec, sentAt);
  }

  private observe(record: LeaseRecord, at: number): void {
    const raw = JSON.stringify(record);
    if (raw !== this.observedRaw) {
      this.observedRaw = raw;
      this.observedAt = at;
    }
    const holder = record.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder !== '') {
        this.log.info('new leader observed', { lease: this.leaseName(), leader: holder });
        this.emit('new-leader', holder);
      }
    }
  }

  /** Hands the lease back: no holder, so the next candidate takes it without waiting. */
  private async release(): Promise<void> {
    const path = objectPath(CORE_KINDS.Lease, this.opts.namespace, this.opts.name);
    const timeoutMs = this.retryPeriodMs * 2;
    try {
      // Two tries: the lease we hold may be a write behind (a renewal aborted by stop() can still
      // have landed), so a conflict re-reads it.
      for (let attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) {
          const r = await requestJson(this.kc, path, { timeoutMs });
          this.lease = r.status === 200 ? leaseOf(r.body) : undefined;
        }
        const lease = this.lease;
        if (!lease || lease.spec.holderIdentity !== this.opts.identity) return;
        const now = microTime(new Date());
        const spec: LeaseRecord = { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions ?? 0 };
        const r = await requestJson(this.kc, path, {
          method: 'PUT',
          body: { apiVersion: apiVersionOf(CORE_KINDS.Lease), kind: 'Lease', metadata: lease.metadata, spec: { ...spec } },
          timeoutMs,
        });
        if (r.status === 409) continue;
        if (r.status !== 200) throw errorFromResponse(r.status, r.body, `release lease ${this.leaseName()}`);
        this.log.info('released lease', { lease: this.leaseName() });
        return;
      }
      throw new Error('conflicting writes');
    } catch (err) {
      this.log.warn('could not release lease (it will expire)', { lease: this.leaseName(), error: err instanceof Error ? err.message : String(err) });
    }
  }

  private leaseName(): string {
    return `${this.opts.namespace}/${this.opts.name}`;
  }

  private sleep(ms: number): Promise<void> {
    return sleepUnlessAborted(ms, this.abort.signal);
  }
}
