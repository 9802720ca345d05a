import { describe, expect, it } from '@jest/globals';
import type { Pod } from '../kube-types.js';
import { bindable } from './binder.js';

const labels = { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': 'gantry-node' };
const pod = (spec: Partial<Pod['spec']>, meta: Partial<Pod['metadata']> = {}): Pod => ({ metadata: { name: 'p', ...meta }, spec: { containers: [], ...spec } });

describe('binding', () => {
  it('binds unscheduled Pods of the default scheduler whose nodeSelector this node meets', () => {
    expect(bindable(pod({}), labels)).toBe(true);
    expect(bindable(pod({ nodeSelector: { 'kubernetes.io/os': 'linux' } }), labels)).toBe(true);
    expect(bindable(pod({ nodeSelector: { 'kubernetes.io/os': 'windows' } }), labels)).toBe(false);
    expect(bindable(pod({ nodeName: 'elsewhere' }), labels)).toBe(false);
    expect(bindable(pod({ schedulerName: 'custom' }), labels)).toBe(false);
    expect(bindable(pod({}, { deletionTimestamp: '2026-01-01T00:00:00Z' }), labels)).toBe(false);
  });
});
