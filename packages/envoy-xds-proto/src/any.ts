// Packing and unpacking google.protobuf.Any through ts-proto's type registry, and printing any
// message as Envoy JSON (canonical proto3 JSON, where an Any carries "@type").
// Every type URL resolves: a generated file registers its messages when it is loaded, and the first
// lookup of a name not registered yet loads every generated file (synchronously, once). So a
// process that only encodes the messages it imports (`gantry translate`) never loads the other
// ~3 MB of generated code, and decoding any Any still works.
import { Any } from './generated/google/protobuf/any.js';
import { messageTypeRegistry, type MessageType, type UnknownMessage } from './generated/typeRegistry.js';
import { messageNameOfTypeUrl, typeUrlForName } from './type-urls.js';
import loadAllGenerated from './load-all.cjs';

/** JSON as Envoy reads it (what `JSON.parse` returns). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * The static side of a generated message (e.g. `Listener` the value): enough to encode, decode and
 * print it. Every ts-proto `MessageFns` satisfies it.
 */
export interface MessageCodec<M extends UnknownMessage> {
  readonly $type: M['$type'];
  encode(message: M): { finish(): Uint8Array };
  decode(input: Uint8Array): M;
  toJSON(message: M): unknown;
  fromJSON(object: unknown): M;
}

/** Thrown when a type URL names a message that is not generated (not in the type registry). */
export class UnknownTypeUrlError extends Error {
  constructor(readonly typeUrl: string) {
    super(`no generated message type for type URL "${typeUrl}"`);
    this.name = 'UnknownTypeUrlError';
  }
}

/** The type URL of a message instance or codec: `type.googleapis.com/` + its `$type`. */
export function typeUrlOf(messageOrCodec: { readonly $type: string }): string {
  return typeUrlForName(messageOrCodec.$type);
}

let everyTypeLoaded = false;

/**
 * Loads every generated file, so the type registry holds every message. Synchronous (`require` of
 * an ES module, Node.js ≥ 20.19 / 22.12): `Any.toJSON`/`fromJSON` of the generated code look types
 * up synchronously. Called by the registry itself on a miss; callers never need to. Where modules
 * cannot be required (jest's VM modules), the package entry (index.ts) has imported them all.
 */
export function loadAllMessageTypes(): void {
  if (everyTypeLoaded) return;
  everyTypeLoaded = true;
  try {
    loadAllGenerated();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw err;
  }
}

/** Said by a module that imported `./generated/all.js` itself: no lookup needs to load anything. */
export function markAllMessageTypesLoaded(): void {
  everyTypeLoaded = true;
}

// The generated Any (and every message holding one) asks the registry directly: a miss loads
// everything once, then answers.
const registeredOnly = messageTypeRegistry.get.bind(messageTypeRegistry);
messageTypeRegistry.get = (name: string): MessageType | undefined => {
  const found = registeredOnly(name);
  if (found !== undefined || everyTypeLoaded) return found;
  loadAllMessageTypes();
  return registeredOnly(name);
};

function codecForName(fullName: string, typeUrl: string): Pick<MessageCodec<UnknownMessage>, 'encode' | 'decode' | 'toJSON'> {
  const codec = messageTypeRegistry.get(fullName);
  if (codec === undefined) {
    throw new UnknownTypeUrlError(typeUrl);
  }
  return codec;
}

/**
 * Packs a message into an Any. Either pass a generated message (its `$type` gives the type URL),
 * or a type URL and the already-encoded bytes (for resources encoded once and reused).
 */
export function packAny(message: UnknownMessage): Any;
export function packAny(typeUrl: string, bytes: Uint8Array): Any;
export function packAny(messageOrTypeUrl: UnknownMessage | string, bytes?: Uint8Array): Any {
  if (typeof messageOrTypeUrl === 'string') {
    return Any.fromPartial({ typeUrl: messageOrTypeUrl, value: Buffer.from(bytes ?? new Uint8Array(0)) });
  }
  const typeUrl = typeUrlOf(messageOrTypeUrl);
  const encoded = codecForName(messageOrTypeUrl.$type, typeUrl).encode(messageOrTypeUrl).finish();
  return Any.fromPartial({ typeUrl, value: Buffer.from(encoded) });
}

/** Decodes an Any with the generated type its type URL names. Throws UnknownTypeUrlError if none. */
export function unpackAny(any: Any): UnknownMessage {
  return codecForName(messageNameOfTypeUrl(any.typeUrl), any.typeUrl).decode(any.value);
}

/**
 * Decodes an Any as the given message type. Throws if the Any holds another type, so callers get
 * a typed result without a cast.
 */
export function unpackAnyAs<M extends UnknownMessage>(any: Any, codec: MessageCodec<M>): M {
  const found = messageNameOfTypeUrl(any.typeUrl);
  if (found !== codec.$type) {
    throw new Error(`expected an Any holding ${codec.$type}, found "${any.typeUrl}"`);
  }
  return codec.decode(any.value);
}

/**
 * Envoy's JSON for a message or an Any (an Any prints as the packed message plus "@type").
 * Nested Any fields resolve through the registry too. Throws UnknownTypeUrlError for unknown types.
 */
export function toEnvoyJson(messageOrAny: UnknownMessage): JsonValue {
  const typeUrl = typeUrlOf(messageOrAny);
  return codecForName(messageOrAny.$type, typeUrl).toJSON(messageOrAny) as JsonValue;
}

/** Parses Envoy JSON carrying "@type" (the JSON form of an Any) back into an Any. */
export function anyFromEnvoyJson(json: JsonObject): Any {
  const typeUrl = json['@type'];
  if (typeof typeUrl !== 'string' || typeUrl === '') {
    throw new Error('Envoy JSON for an Any needs a non-empty "@type"');
  }
  codecForName(messageNameOfTypeUrl(typeUrl), typeUrl);
  return Any.fromJSON(json);
}
