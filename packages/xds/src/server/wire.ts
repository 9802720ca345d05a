// Hand-written protobuf encoding of the two xDS responses, straight from pre-encoded resource
// bytes: one exact-size buffer, each resource's bytes copied once, nothing re-encoded and no
// intermediate message objects. Field numbers are those of envoy/service/discovery/v3/discovery.proto
// and google/protobuf/any.proto; the tests decode the output with the generated ts-proto code.

import type { EncodedResource } from '../resources.js';

const WIRE_LEN = 2;

function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Size of a length-delimited field (one-byte tag) whose payload has `len` bytes. */
function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(value: number): void {
    let v = value >>> 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** A string field; `byteLength` is its precomputed UTF-8 length. */
  string(field: number, value: string, byteLength: number): void {
    this.varint(tag(field, WIRE_LEN));
    this.varint(byteLength);
    this.pos += this.buf.write(value, this.pos, byteLength, 'utf8');
  }

  bytes(field: number, value: Uint8Array): void {
    this.varint(tag(field, WIRE_LEN));
    this.varint(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  header(field: number, len: number): void {
    this.varint(tag(field, WIRE_LEN));
    this.varint(len);
  }
}

/** An Any's payload size: type_url (1) + value (2). */
function anySize(typeUrlLen: number, bytes: Uint8Array): number {
  return lenFieldSize(typeUrlLen) + lenFieldSize(bytes.length);
}

function writeAnyBody(w: Writer, typeUrl: string, typeUrlLen: number, bytes: Uint8Array): void {
  w.string(1, typeUrl, typeUrlLen);
  w.bytes(2, bytes);
}

function optionalStringSize(value: string | undefined): [number, number] {
  if (value === undefined || value === '') return [0, 0];
  const len = Buffer.byteLength(value);
  return [len, lenFieldSize(len)];
}

export interface SotwResponseParts {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly resources: readonly EncodedResource[];
  /** ControlPlane.identifier, for Envoy's logs. */
  readonly controlPlane?: string;
}

/** envoy.service.discovery.v3.DiscoveryResponse: version_info=1, resources=2 (Any), type_url=4, nonce=5, control_plane=6. */
export function encodeDiscoveryResponse(parts: SotwResponseParts): Buffer {
  const typeUrlLen = Buffer.byteLength(parts.typeUrl);
  const [versionLen, versionSize] = optionalStringSize(parts.versionInfo);
  const [nonceLen, nonceSize] = optionalStringSize(parts.nonce);
  const [cpLen, cpFieldSize] = optionalStringSize(parts.controlPlane);
  const cpSize = cpFieldSize === 0 ? 0 : lenFieldSize(cpFieldSize);
  let size = versionSize + lenFieldSize(typeUrlLen) + nonceSize + cpSize;
  for (const r of parts.resources) size += lenFieldSize(anySize(typeUrlLen, r.bytes));

  const w = new Writer(Buffer.allocUnsafe(size));
  if (versionSize > 0) w.string(1, parts.versionInfo, versionLen);
  for (const r of parts.resources) {
    w.header(2, anySize(typeUrlLen, r.bytes));
    writeAnyBody(w, parts.typeUrl, typeUrlLen, r.bytes);
  }
  w.string(4, parts.typeUrl, typeUrlLen);
  if (nonceSize > 0) w.string(5, parts.nonce, nonceLen);
  if (cpSize > 0) {
    w.header(6, cpFieldSize);
    w.string(1, parts.controlPlane ?? '', cpLen);
  }
  return finish(w, size);
}

export interface DeltaResponseParts {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly resources: readonly EncodedResource[];
  readonly removed: readonly string[];
  readonly controlPlane?: string;
}

/**
 * envoy.service.discovery.v3.DeltaDiscoveryResponse: system_version_info=1, resources=2 (Resource),
 * type_url=4, nonce=5, removed_resources=6, control_plane=7.
 * Resource: version=1, resource=2 (Any), name=3.
 */
export function encodeDeltaDiscoveryResponse(parts: DeltaResponseParts): Buffer {
  const typeUrlLen = Buffer.byteLength(parts.typeUrl);
  const [sysLen, sysSize] = optionalStringSize(parts.systemVersionInfo);
  const [nonceLen, nonceSize] = optionalStringSize(parts.nonce);
  const [cpLen, cpFieldSize] = optionalStringSize(parts.controlPlane);
  const cpSize = cpFieldSize === 0 ? 0 : lenFieldSize(cpFieldSize);
  let size = sysSize + lenFieldSize(typeUrlLen) + nonceSize + cpSize;

  const n = parts.resources.length;
  const nameLens = new Array<number>(n);
  const versionLens = new Array<number>(n);
  const bodySizes = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const r = parts.resources[i]!;
    const nameLen = Buffer.byteLength(r.name);
    const versionLen = Buffer.byteLength(r.version);
    const body = lenFieldSize(versionLen) + lenFieldSize(anySize(typeUrlLen, r.bytes)) + lenFieldSize(nameLen);
    nameLens[i] = nameLen;
    versionLens[i] = versionLen;
    bodySizes[i] = body;
    size += lenFieldSize(body);
  }
  const removedLens = parts.removed.map((name) => Buffer.byteLength(name));
  for (const len of removedLens) size += lenFieldSize(len);

  const w = new Writer(Buffer.allocUnsafe(size));
  if (sysSize > 0) w.string(1, parts.systemVersionInfo, sysLen);
  for (let i = 0; i < n; i++) {
    const r = parts.resources[i]!;
    w.header(2, bodySizes[i]!);
    w.string(1, r.version, versionLens[i]!);
    w.header(2, anySize(typeUrlLen, r.bytes));
    writeAnyBody(w, parts.typeUrl, typeUrlLen, r.bytes);
    w.string(3, r.name, nameLens[i]!);
  }
  w.string(4, parts.typeUrl, typeUrlLen);
  if (nonceSize > 0) w.string(5, parts.nonce, nonceLen);
  for (let i = 0; i < parts.removed.length; i++) w.string(6, parts.removed[i]!, removedLens[i]!);
  if (cpSize > 0) {
    w.header(7, cpFieldSize);
    w.string(1, parts.controlPlane ?? '', cpLen);
  }
  return finish(w, size);
}

function finish(w: Writer, size: number): Buffer {
  if (w.pos !== size) throw new Error(`xDS response encoder wrote ${w.pos} bytes, expected ${size}`);
  return w.buf;
}
