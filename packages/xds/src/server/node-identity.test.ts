import { describe, it, expect } from '@jest/globals';
import { Node } from '@gantry/envoy-xds-proto';
import { gatewayKeyOfNode } from './node-identity.js';
import { redactSecrets } from './redact.js';

describe('gatewayKeyOfNode', () => {
  it('reads the metadata key first, then a cluster of the form ns/name', () => {
    expect(gatewayKeyOfNode(Node.fromPartial({ metadata: { 'gantry.dev/gateway': 'infra/gw' }, cluster: 'x/y' }))).toBe('infra/gw');
    expect(gatewayKeyOfNode(Node.fromPartial({ cluster: 'default/my-gw' }))).toBe('default/my-gw');
    expect(gatewayKeyOfNode(Node.fromPartial({ metadata: { 'gantry.dev/gateway': 42 }, cluster: 'a/b' }))).toBe('a/b');
  });

  it('rejects what is not a Gateway key', () => {
    expect(gatewayKeyOfNode(undefined)).toBeUndefined();
    expect(gatewayKeyOfNode(Node.fromPartial({ cluster: 'gantry' }))).toBeUndefined();
    expect(gatewayKeyOfNode(Node.fromPartial({ metadata: { 'gantry.dev/gateway': 'a/b/c' } }))).toBeUndefined();
    expect(gatewayKeyOfNode(Node.fromPartial({ metadata: { 'gantry.dev/gateway': 'UPPER/x' } }))).toBeUndefined();
  });
});

describe('redactSecrets', () => {
  it('removes PEM blocks and inline data from Envoy error messages', () => {
    const msg = 'bad secret: tls_certificate { private_key { inline_string: "-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----" } } inline_bytes: "c2VjcmV0"';
    const out = redactSecrets(msg);
    expect(out).not.toContain('MIIEv');
    expect(out).not.toContain('c2VjcmV0');
    expect(out).toContain('bad secret');
  });
});
