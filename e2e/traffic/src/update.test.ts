// Configuration changes under steady traffic through a real Envoy fed over delta xDS (the default): no
// request may fail or reach a backend the configuration did not allow (see update-scenario.ts).
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { TrafficHarness } from './harness.js';
import { updatesUnderTraffic } from './update-scenario.js';

let h: TrafficHarness;

beforeAll(async () => {
  h = await TrafficHarness.start();
});

afterAll(async () => {
  await h?.stop();
});

describe('updates under steady traffic (delta)', () => {
  it('lose no request while routes, clusters, endpoints and listeners change', async () => {
    await updatesUnderTraffic(h);
  });
});
