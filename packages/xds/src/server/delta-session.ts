// Incremental ADS (DeltaAggregatedResources): per type, what the client holds (name → version),
// its subscriptions, and the responses it has not answered yet. A response carries only what
// changed for the client, so a one-resource change costs one resource, not the snapshot.

import type { ServerDuplexStream } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { DeltaDiscoveryRequest } from '@gantry/envoy-xds-proto';
import type { TypeUrl, EncodedResource } from '../resources.js';
import type { TypeChanges } from '../cache/snapshot-cache.js';
import { AdsSession, shortType, type SessionHost } from './session.js';
import { encodeDeltaDiscoveryResponse } from './wire.js';
import { redactSecrets } from './redact.js';

interface Outstanding {
  readonly nonce: string;
  readonly systemVersion: string;
  readonly snapshotVersion: number;
}

interface DeltaTypeState {
  requested: boolean;
  wildcard: boolean;
  /** Explicit subscriptions (not "*"). */
  readonly names: Set<string>;
  /** What the client holds: name → version (sent by us, or declared in initial_resource_versions). */
  readonly sent: Map<string, string>;
  /** Removals held back until the prune phase. */
  readonly held: Set<string>;
  /** Names to send even if the client holds them at the same version. */
  readonly forced: Set<string>;
  /** Explicitly subscribed names to confirm as absent (removed_resources) if they do not exist. */
  readonly absent: Set<string>;
  /**
   * The client's first request of the type awaits an answer. Envoy finishes initializing a
   * wildcard type (CDS before LDS) only on a response, so an empty set is still answered.
   */
  mustAnswer: boolean;
  /** Responses not yet ACKed or NACKed, oldest first. */
  outstanding: Outstanding[];
  acked: { version: string; snapshotVersion: number } | undefined;
}

function newTypeState(): DeltaTypeState {
  return {
    requested: false,
    wildcard: false,
    names: new Set(),
    sent: new Map(),
    held: new Set(),
    forced: new Set(),
    absent: new Set(),
    mustAnswer: false,
    outstanding: [],
    acked: undefined,
  };
}

/** Responses are split so one message stays under this many bytes (rough estimate). */
export const DEFAULT_MAX_DELTA_RESPONSE_BYTES = 4 * 1024 * 1024;

export class DeltaSession extends AdsSession {
  readonly transport = 'delta' as const;
  private readonly types = new Map<TypeUrl, DeltaTypeState>();

  constructor(
    host: SessionHost,
    private readonly call: ServerDuplexStream<DeltaDiscoveryRequest, Buffer>,
    private readonly maxResponseBytes: number = DEFAULT_MAX_DELTA_RESPONSE_BYTES,
  ) {
    super(host);
    this.serve(call, (type, request) => this.applyRequest(type, request));
  }

  private state(type: TypeUrl): DeltaTypeState {
    let st = this.types.get(type);
    if (st === undefined) {
      st = newTypeState();
      this.types.set(type, st);
    }
    return st;
  }

  private applyRequest(type: TypeUrl, request: DeltaDiscoveryRequest): void {
    const st = this.state(type);

    // ACK / NACK. Every delta response stands alone, so any outstanding nonce is current; one we
    // are not waiting for (already answered, or from before a reconnect) is ignored.
    if (request.responseNonce !== '') {
      const index = st.outstanding.findIndex((o) => o.nonce === request.responseNonce);
      if (index < 0) {
        this.host.logger.debug('ignoring a reply to an unknown or answered nonce', this.logFields({ type: shortType(type), nonce: request.responseNonce }));
      } else {
        const entry = st.outstanding[index]!;
        // Envoy answers responses in order, so an answer to this one settles the earlier ones too.
        st.outstanding = st.outstanding.slice(index + 1);
        if (request.errorDetail !== undefined) {
          const message = redactSecrets(request.errorDetail.message);
          this.noteNack(type, entry.systemVersion, message, request.errorDetail.code);
        } else {
          st.acked = { version: entry.systemVersion, snapshotVersion: entry.snapshotVersion };
          this.noteAck(type, entry.systemVersion, entry.snapshotVersion);
        }
      }
    }

    // Subscriptions: honoured whatever the nonce (delta requests are themselves deltas).
    const first = !st.requested;
    st.requested = true;
    if (first) st.mustAnswer = true;
    const initial = request.initialResourceVersions;
    const subscribe = request.resourceNamesSubscribe;
    const unsubscribe = request.resourceNamesUnsubscribe;
    let all = false;
    if (first) {
      for (const [name, version] of Object.entries(initial)) st.sent.set(name, version);
      // Legacy wildcard: a first request naming nothing at all.
      if (subscribe.length === 0 && unsubscribe.length === 0) st.wildcard = true;
      all = st.wildcard || st.sent.size > 0;
    }
    const touched = new Set<string>();
    for (const name of subscribe) {
      if (name === '*') {
        if (!st.wildcard) {
          st.wildcard = true;
          all = true;
        }
        continue;
      }
      st.names.add(name);
      touched.add(name);
      st.absent.add(name);
      // A (re)subscription must be answered even if we think the client holds the resource,
      // except what it just declared in initial_resource_versions.
      if (!(first && Object.hasOwn(initial, name))) st.forced.add(name);
    }
    for (const name of unsubscribe) {
      if (name === '*') {
        if (st.wildcard) {
          st.wildcard = false;
          for (const held of [...st.sent.keys()]) if (!st.names.has(held)) this.forget(st, held);
        }
        continue;
      }
      const wasExplicit = st.names.delete(name);
      if (st.wildcard) {
        // The client cannot tell whether the wildcard still covers it: say so explicitly.
        if (wasExplicit) {
          touched.add(name);
          st.forced.add(name);
          st.absent.add(name);
        }
      } else {
        this.forget(st, name);
      }
    }
    this.reconcile(type, all ? 'all' : touched);
  }

  private forget(st: DeltaTypeState, name: string): void {
    st.sent.delete(name);
    st.held.delete(name);
    st.forced.delete(name);
    st.absent.delete(name);
  }

  protected reconcile(type: TypeUrl, names: TypeChanges): void {
    const st = this.types.get(type);
    const view = this.view(type);
    if (st === undefined || !st.requested || view.source === undefined || this.closed) return;
    let candidates: Iterable<string>;
    if (names === 'all') {
      candidates = new Set<string>([...view.source.keys(), ...st.sent.keys(), ...st.names, ...st.forced, ...st.absent]);
    } else if (st.forced.size === 0 && st.absent.size === 0) {
      if (names.size === 0 && !st.mustAnswer) return;
      candidates = names;
    } else {
      candidates = new Set<string>([...names, ...st.forced, ...st.absent]);
    }
    const source = view.source;
    const upserts: EncodedResource[] = [];
    const removed: string[] = [];
    for (const name of candidates) {
      const interested = st.wildcard || st.names.has(name);
      const forced = st.forced.delete(name);
      const confirmAbsent = st.absent.delete(name);
      if (!interested) continue;
      const resource = source.get(name);
      const have = st.sent.get(name);
      if (resource !== undefined) {
        if (have !== resource.version || forced) {
          upserts.push(resource);
          st.sent.set(name, resource.version);
        }
        st.held.delete(name);
      } else if (have !== undefined) {
        if (view.holdRemovals) {
          st.held.add(name);
        } else {
          removed.push(name);
          st.sent.delete(name);
          st.held.delete(name);
        }
      } else if (confirmAbsent) {
        removed.push(name);
      }
    }
    this.send(type, st, upserts, removed);
  }

  protected markForResend(type: TypeUrl, names: Iterable<string>): void {
    const st = this.state(type);
    // Before the client's first request of the type (a reconnect in progress), remember them all:
    // its subscription may declare them in initial_resource_versions.
    for (const name of names) {
      if (!st.requested || (st.sent.has(name) && (st.wildcard || st.names.has(name)))) st.forced.add(name);
    }
  }

  protected releaseHeldRemovals(type: TypeUrl): void {
    const st = this.types.get(type);
    if (st === undefined || st.held.size === 0) return;
    const names = new Set(st.held);
    st.held.clear();
    this.reconcile(type, names);
  }

  private send(type: TypeUrl, st: DeltaTypeState, upserts: EncodedResource[], removed: string[]): void {
    if (upserts.length === 0 && removed.length === 0 && !st.mustAnswer) return;
    st.mustAnswer = false;
    const snapshotVersion = this.view(type).version;
    const systemVersion = String(snapshotVersion);
    let start = 0;
    // Split very large responses (initial sync of a big Gateway) so no message is huge.
    for (;;) {
      let end = start;
      let estimate = 0;
      while (end < upserts.length && (end === start || estimate + upserts[end]!.bytes.length < this.maxResponseBytes)) {
        estimate += upserts[end]!.bytes.length + type.length + 64;
        end++;
      }
      const last = end >= upserts.length;
      const chunk = start === 0 && last ? upserts : upserts.slice(start, end);
      const nonce = this.nextNonce();
      const payload = encodeDeltaDiscoveryResponse({
        systemVersionInfo: systemVersion,
        typeUrl: type,
        nonce,
        resources: chunk,
        removed: last ? removed : [],
        controlPlane: this.host.controlPlaneId,
      });
      st.outstanding.push({ nonce, systemVersion, snapshotVersion });
      this.call.write(payload);
      this.host.pushed(this, type, chunk.length, last ? removed.length : 0, payload.length);
      if (last) break;
      start = end;
    }
  }

  protected hasOutstanding(type: TypeUrl): boolean {
    return (this.types.get(type)?.outstanding.length ?? 0) > 0;
  }

  protected hasRequested(type: TypeUrl): boolean {
    return this.types.get(type)?.requested ?? false;
  }

  protected isSubscribed(type: TypeUrl, name: string): boolean {
    const st = this.types.get(type);
    return st !== undefined && (st.wildcard || st.names.has(name));
  }

  protected clientVersion(type: TypeUrl, name: string): string | undefined {
    return this.types.get(type)?.sent.get(name);
  }

  ackState(): ReadonlyMap<TypeUrl, { version: string; snapshotVersion: number }> {
    const out = new Map<TypeUrl, { version: string; snapshotVersion: number }>();
    for (const [type, st] of this.types) if (st.acked !== undefined) out.set(type, st.acked);
    return out;
  }

  endStream(): void {
    if (!this.closed) this.call.end();
    this.close();
  }

  protected fail(message: string, code: number = GrpcStatus.INVALID_ARGUMENT): void {
    this.host.logger.warn('closing stream', this.logFields({ reason: message }));
    if (!this.closed) this.call.emit('error', { code, details: message });
    this.close();
  }
}
