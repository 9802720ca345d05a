import type { GatewayIR } from './types.js';

export const REDACTED = '<redacted>';

/** A copy of the IR that is safe to print: private keys replaced. */
export function redactIR(ir: GatewayIR): GatewayIR {
  return { ...ir, secrets: ir.secrets.map((s) => ({ ...s, privateKey: REDACTED })) };
}
