import type { GatewayIR } from './types.js';

export const REDACTED = '<redacted>';

/**
 * A PEM private-key block (any kind: PKCS#8, RSA, EC, ENCRYPTED, OPENSSH), also one cut short
 * (no END line: everything after BEGIN goes) and one whose line breaks were escaped in JSON.
 */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[\s\S]*$)/g;

/** True when text holds (the start of) a PEM private key. */
export function containsPrivateKey(text: string): boolean {
  return text.includes('PRIVATE KEY-----');
}

/** Text with every PEM private-key block replaced by `<redacted>`: redaction by content, wherever the key sits. */
export function redactPrivateKeys(text: string): string {
  if (!containsPrivateKey(text)) return text;
  PEM_PRIVATE_KEY.lastIndex = 0;
  const out = text.replace(PEM_PRIVATE_KEY, REDACTED);
  // A marker without a BEGIN line we recognise (odd spacing, lower case): drop the whole text.
  return containsPrivateKey(out) ? REDACTED : out;
}

/** Deep copy of plain data with every string holding a private key redacted. */
export function redactDeep<T>(value: T): T {
  return redactValue(value) as T;
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactPrivateKeys(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = redactValue(value[i]);
      if (v !== value[i]) (copy ??= value.slice())[i] = v;
    }
    return copy ?? value;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    let copy: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const r = redactValue(v);
      if (r !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = r;
    }
    return copy ?? value;
  }
  return value;
}

/** An error's message made safe to print: private keys redacted, bounded in length. */
export function safeErrorMessage(err: unknown, limit = 300): string {
  const raw = err instanceof Error ? err.message : String(err);
  const text = redactPrivateKeys(raw);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** A copy of the IR that is safe to print: private keys replaced, and any key found elsewhere (a certificate field, a header value). */
export function redactIR(ir: GatewayIR): GatewayIR {
  return redactDeep({ ...ir, secrets: ir.secrets.map((s) => ({ ...s, privateKey: REDACTED })) });
}
