// What a route contributes to a Gateway's route tables: RouteIR entries and their ordering facts.
import type { RouteIR } from '@gantry/ir';
import type { HTTPProtocol } from '../gateway/model.js';

/** Identifies the Envoy route table flavour a RouteIR is built for (redirects depend on it). */
export interface Flavor {
  readonly protocol: HTTPProtocol;
  readonly port: number;
  /** `protocol/port`, built once: every route placed on the table looks its entries up by it. */
  readonly key: string;
}

export function flavor(protocol: HTTPProtocol, port: number): Flavor {
  return { protocol, port, key: `${protocol}/${port}` };
}

/** One RouteIR with the facts that order it among all routes of a virtual host. */
export interface RouteEntry {
  readonly route: RouteIR;
  /** 0 Exact, 1 RegularExpression, 2 PathPrefix. */
  readonly pathRank: number;
  readonly pathLength: number;
  readonly hasMethod: boolean;
  readonly headerCount: number;
  readonly queryCount: number;
  /** creationTimestamp of the HTTPRoute ('' when unknown). */
  readonly created: string;
  /** `namespace/name` of the HTTPRoute. */
  readonly routeKey: string;
  readonly ruleIndex: number;
  readonly matchIndex: number;
}
