import { describe, expect, it } from '@jest/globals';
import { REDACTED, redactDeep, redactPrivateKeys, safeErrorMessage } from './redact.js';

const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n';

describe('redaction by content', () => {
  it('replaces every PEM private-key block, whatever its kind, and keeps the rest', () => {
    const text = `cert -----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n${KEY}and -----BEGIN PRIVATE KEY-----\nBB\n-----END PRIVATE KEY----- end`;
    const out = redactPrivateKeys(text);
    expect(out).not.toContain('PRIVATE KEY');
    expect(out).toContain('BEGIN CERTIFICATE');
    expect(out.match(/<redacted>/g)).toHaveLength(2);
    expect(out.endsWith(' end')).toBe(true);
  });
  it('drops everything after a BEGIN line without an END (a key cut short)', () => {
    expect(redactPrivateKeys('x -----BEGIN RSA PRIVATE KEY-----\nAAAA')).toBe(`x ${REDACTED}`);
  });
  it('walks plain data, keeping the identity of what holds no key', () => {
    const clean = { a: ['x'], b: 1 };
    const data = { clean, dirty: { list: ['ok', KEY] } };
    const out = redactDeep(data);
    expect(out.clean).toBe(clean);
    expect(JSON.stringify(out)).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(data)).toContain('PRIVATE KEY'); // the input is not changed
  });
  it('makes error messages safe and bounded', () => {
    expect(safeErrorMessage(new Error(`bad value ${KEY}`))).not.toContain('PRIVATE KEY');
    expect(safeErrorMessage('x'.repeat(1000)).length).toBeLessThan(310);
  });
});
