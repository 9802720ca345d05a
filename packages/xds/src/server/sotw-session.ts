// State-of-the-world ADS (StreamAggregatedResources): every response of a type carries everything
// the client subscribes to of that type, under a version_info derived from the content. Only the
// latest response of a type counts; a reply to an older nonce is stale and ignored entirely.

import type { ServerDuplexStream } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { DiscoveryRequest } from '@gantry/envoy-xds-proto';
import type { TypeUrl, EncodedResource } from '../resources.js';
import type { TypeChanges } from '../cache/snapshot-cache.js';
import { AdsSession, shortType, type SessionHost } from './session.js';
import { encodeDiscoveryResponse } from './wire.js';
import { contentVersion } from './versions.js';
import { redactSecrets } from './redact.js';

interface SotwTypeState {
  requested: boolean;
  /** Ever named a resource (including "*"): ends the legacy meaning of an empty list. */
  explicitEver: boolean;
  wildcard: boolean;
  names: ReadonlySet<string>;
  /** The next reconcile must send even if the version did not change (new request or names). */
  needsResponse: boolean;
  forced: boolean;
  lastNonce: string | undefined;
  lastVersion: string | undefined;
  lastSnapshotVersion: number;
  /** What the last response carried (what the client holds unless it NACKed). */
  lastSent: ReadonlyMap<string, EncodedResource>;
  /** The last response awaits its ACK/NACK. */
  outstanding: boolean;
  acked: { version: string; snapshotVersion: number } | undefined;
}

function newTypeState(): SotwTypeState {
  return {
    requested: false,
    explicitEver: false,
    wildcard: false,
    names: new Set(),
    needsResponse: false,
    forced: false,
    lastNonce: undefined,
    lastVersion: undefined,
    lastSnapshotVersion: 0,
    lastSent: new Map(),
    outstanding: false,
    acked: undefined,
  };
}

const NO_NAMES: ReadonlySet<string> = new Set();

function sameNames(a: ReadonlySet<string>, b: readonly string[]): boolean {
  if (a.size !== b.length) return false;
  return b.every((n) => a.has(n));
}

export class SotwSession extends AdsSession {
  readonly transport = 'sotw' as const;
  private readonly types = new Map<TypeUrl, SotwTypeState>();

  constructor(
    host: SessionHost,
    private readonly call: ServerDuplexStream<DiscoveryRequest, Buffer>,
  ) {
    super(host);
    this.serve(call, (type, request) => this.applyRequest(type, request));
  }

  private state(type: TypeUrl): SotwTypeState {
    let st = this.types.get(type);
    if (st === undefined) {
      st = newTypeState();
      this.types.set(type, st);
    }
    return st;
  }

  private applyRequest(type: TypeUrl, request: DiscoveryRequest): void {
    const st = this.state(type);
    if (request.responseNonce !== '') {
      if (request.responseNonce !== st.lastNonce) {
        // Superseded by a newer response, which the client will answer with its full request.
        this.host.logger.debug('ignoring a request with a stale nonce', this.logFields({ type: shortType(type), nonce: request.responseNonce }));
        return;
      }
      if (st.outstanding) {
        st.outstanding = false;
        const version = st.lastVersion ?? '';
        if (request.errorDetail !== undefined) {
          this.noteNack(type, version, redactSecrets(request.errorDetail.message), request.errorDetail.code);
        } else {
          st.acked = { version, snapshotVersion: st.lastSnapshotVersion };
          this.noteAck(type, version, st.lastSnapshotVersion);
        }
      }
    }

    const requested = request.resourceNames;
    let wildcard: boolean;
    let explicit: string[];
    if (requested.length === 0) {
      // Legacy wildcard, until the client has named anything on this stream.
      wildcard = !st.explicitEver;
      explicit = [];
    } else {
      st.explicitEver = true;
      wildcard = requested.includes('*');
      explicit = requested.filter((n) => n !== '*');
    }
    const added = (wildcard && !st.wildcard) || explicit.some((n) => !st.names.has(n));
    const changed = added || wildcard !== st.wildcard || !sameNames(st.names, explicit);
    if (changed) {
      st.wildcard = wildcard;
      st.names = new Set(explicit);
    }
    if (!st.requested) {
      st.requested = true;
      st.needsResponse = true;
    } else if (added) {
      st.needsResponse = true;
    }
    this.reconcile(type, NO_NAMES);
  }

  protected reconcile(type: TypeUrl, names: TypeChanges): void {
    const st = this.types.get(type);
    const view = this.view(type);
    if (st === undefined || !st.requested || view.source === undefined || this.closed) return;
    const mustSend = st.needsResponse || st.forced;
    if (!mustSend && names !== 'all') {
      if (names.size === 0) return;
      if (!st.wildcard && ![...names].some((n) => st.names.has(n))) return;
    }
    const source = view.source;
    const out = new Map<string, EncodedResource>();
    if (st.wildcard) for (const [name, resource] of source) out.set(name, resource);
    for (const name of st.names) {
      const resource = source.get(name);
      if (resource !== undefined) out.set(name, resource);
    }
    if (view.holdRemovals) {
      // Warm phase: what the client holds stays until the prune phase.
      for (const [name, resource] of st.lastSent) {
        if (!out.has(name) && (st.wildcard || st.names.has(name))) out.set(name, resource);
      }
    }
    const version = contentVersion(out.values());
    if (!mustSend && version === st.lastVersion) return;
    this.send(type, st, version, out);
  }

  private send(type: TypeUrl, st: SotwTypeState, version: string, resources: ReadonlyMap<string, EncodedResource>): void {
    const nonce = this.nextNonce();
    const list = [...resources.values()];
    const payload = encodeDiscoveryResponse({
      versionInfo: version,
      typeUrl: type,
      nonce,
      resources: list,
      controlPlane: this.host.controlPlaneId,
    });
    st.lastNonce = nonce;
    st.lastVersion = version;
    st.lastSent = resources;
    st.lastSnapshotVersion = this.view(type).version;
    st.outstanding = true;
    st.needsResponse = false;
    st.forced = false;
    this.call.write(payload);
    this.host.pushed(this, type, list.length, 0, payload.length);
  }

  protected markForResend(type: TypeUrl, names: Iterable<string>): void {
    const st = this.types.get(type);
    if (st === undefined) return;
    for (const name of names) {
      if (st.lastSent.has(name) && (st.wildcard || st.names.has(name))) {
        st.forced = true;
        return;
      }
    }
  }

  protected releaseHeldRemovals(type: TypeUrl): void {
    this.reconcile(type, 'all');
  }

  protected hasOutstanding(type: TypeUrl): boolean {
    return this.types.get(type)?.outstanding ?? false;
  }

  protected hasRequested(type: TypeUrl): boolean {
    return this.types.get(type)?.requested ?? false;
  }

  protected isSubscribed(type: TypeUrl, name: string): boolean {
    const st = this.types.get(type);
    return st !== undefined && (st.wildcard || st.names.has(name));
  }

  protected clientVersion(type: TypeUrl, name: string): string | undefined {
    return this.types.get(type)?.lastSent.get(name)?.version;
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
