// Envoy's NACK messages can quote the rejected resource, and a rejected Secret can carry a private
// key. Everything that leaves the server as text (logs, events, status) goes through this first.

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
// Inline data sources in text/JSON proto dumps: inline_bytes: "...", "inlineString": "..." etc.
const INLINE_VALUE = /((?:inline_bytes|inline_string|inlineBytes|inlineString)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S+)/g;

const MAX_MESSAGE_LENGTH = 4096;

export function redactSecrets(message: string): string {
  const redacted = message.replace(PEM_BLOCK, '[redacted PEM]').replace(INLINE_VALUE, '$1[redacted]');
  return redacted.length > MAX_MESSAGE_LENGTH ? redacted.slice(0, MAX_MESSAGE_LENGTH) + '…' : redacted;
}
