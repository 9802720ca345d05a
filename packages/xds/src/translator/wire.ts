// Minimal protobuf wire helpers for assembling messages from already-encoded parts.
//
// A repeated message field is a sequence of independent (tag, length, bytes) entries, and a message
// is the concatenation of its fields. So a VirtualHost can be written as its own header fields
// followed by cached, pre-framed `routes` entries, and a RouteConfiguration likewise from cached
// `virtual_hosts` entries: an unchanged route is never encoded twice.

import { BinaryWriter } from '@bufbuild/protobuf/wire';

const WIRE_TYPE_LEN = 2;
const utf8 = new TextEncoder();

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(into: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    into[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  into[at++] = value;
  return at;
}

/** A length-delimited field entry: tag, length, payload. */
export function frameField(fieldNumber: number, payload: Uint8Array): Uint8Array {
  const tag = fieldNumber * 8 + WIRE_TYPE_LEN;
  const out = allocBytes(varintSize(tag) + varintSize(payload.length) + payload.length);
  let at = writeVarint(out, 0, tag);
  at = writeVarint(out, at, payload.length);
  out.set(payload, at);
  return out;
}

/** A string field entry (omitted when empty, as proto3 does). */
export function stringField(fieldNumber: number, value: string): Uint8Array {
  return value === '' ? new Uint8Array(0) : frameField(fieldNumber, utf8.encode(value));
}

/** Concatenates byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = allocBytes(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The tag and length of a length-delimited field entry whose payload follows separately. */
export function fieldPrefix(fieldNumber: number, length: number): Uint8Array {
  const tag = fieldNumber * 8 + WIRE_TYPE_LEN;
  const out = allocBytes(varintSize(tag) + varintSize(length));
  writeVarint(out, writeVarint(out, 0, tag), length);
  return out;
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(value: string): Uint8Array {
  return utf8.encode(value);
}

/**
 * Byte arrays for encoded resources come from Node's Buffer pool (small ones are slices of a
 * shared 8 KiB slab): tens of thousands of separately allocated ArrayBuffers cost several times
 * more to allocate and to collect.
 */
export function allocBytes(length: number): Uint8Array<ArrayBuffer> {
  return Buffer.allocUnsafe(length);
}

/** The fields of BinaryWriter (@bufbuild/protobuf 2.x) that finish() reads and resets. */
interface WriterState {
  buffer: Uint8Array;
  pos: number;
  stackPos: number[];
}

/** The writer's internals, if they are what this module was written against. */
function writerState(w: BinaryWriter): WriterState | undefined {
  const s = w as unknown as Partial<WriterState>;
  return s.buffer instanceof Uint8Array && typeof s.pos === 'number' && Array.isArray(s.stackPos) ? (s as WriterState) : undefined;
}

/**
 * A BinaryWriter whose finish() copies into a pooled array instead of slicing a fresh
 * ArrayBuffer. Falls back to the original finish() if the writer's internals ever change.
 */
class PooledWriter extends BinaryWriter {
  override finish(): Uint8Array<ArrayBuffer> {
    const state = writerState(this);
    if (state === undefined) return super.finish();
    const out = allocBytes(state.pos);
    out.set(state.buffer.subarray(0, state.pos));
    state.pos = 0;
    state.stackPos = [];
    return out;
  }
}

/**
 * One writer reused for every top-level encode: its buffer grows once and stays, instead of every
 * encode starting small and growing. Only used synchronously between build and finish().
 */
const shared: BinaryWriter = new PooledWriter();

/**
 * The shared writer, empty, for hand-written encoders of hot messages; finish() it before
 * returning. An encode that threw half-way (a value out of range) must not leak into the next.
 */
export function sharedWriter(): BinaryWriter {
  const state = writerState(shared);
  if (state === undefined) return new PooledWriter();
  if (state.pos !== 0 || state.stackPos.length !== 0) {
    state.pos = 0;
    state.stackPos = [];
  }
  return shared;
}

/** `encode(message, writer)` of a ts-proto codec. */
export type EncodeInto<M> = (message: M, writer: BinaryWriter) => BinaryWriter;

/** A message's bytes. */
export function encodeMessage<M>(encode: EncodeInto<M>, message: M): Uint8Array {
  return encode(message, sharedWriter()).finish();
}

/** A message's bytes framed as a length-delimited field entry. */
export function encodeFramed<M>(fieldNumber: number, encode: EncodeInto<M>, message: M): Uint8Array {
  const w = sharedWriter().uint32(fieldNumber * 8 + WIRE_TYPE_LEN).fork();
  encode(message, w);
  return w.join().finish();
}
