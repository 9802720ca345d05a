// Configuration changes under steady traffic through a real Envoy fed over state-of-the-world xDS: no
// request may fail or reach a backend the configuration did not allow (see update-scenario.ts).
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { TrafficHarness } from './harness.js';
import { updatesUnderTraffic } from './update-scenario.js';

let h: TrafficHarness;

beforeAll(async () => {
  h = await TrafficHarness.start({ sotw: true });
});

afterAll(async () => {
  await h?.stop();
});

describe('updates under steady traffic (SotW)', () => {
  it('lose no request while routes, clusters, endpoints and listeners change', async () => {
    await updatesUnderTraffic(h);
  });
});
