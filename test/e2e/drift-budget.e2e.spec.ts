import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../support/http/admin.js';
import { readyUser } from '../support/http/users.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A drift scan grows with the account, so it has no overall AWS budget; each call keeps its own bound. */
describe("drift and the request's AWS budget", () => {
  const OPERATION_TIMEOUT_MS = 300;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AWS_OPERATION_TIMEOUT_MS: String(OPERATION_TIMEOUT_MS) } });
    await readyUser(t, 'alice');
  });
  afterAll(async () => t?.close());

  it('reports even when its list calls together take longer than AWS_OPERATION_TIMEOUT_MS', async () => {
    const slow = () => new Promise<void>((resolve) => setTimeout(resolve, OPERATION_TIMEOUT_MS));
    const stops = ['ListThings', 'ListPolicies'].map((api) => t.aws.onCall(api, slow));
    try {
      const response = await admin(t).get('/v1/admin/drift');
      expect(response.status).toBe(200);
      expect(response.body.orphans).toEqual([]);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('still bounds a registration by it, in the same app', async () => {
    const stop = t.aws.onCall('CreateThing', () => new Promise<void>((resolve) => setTimeout(resolve, 3 * OPERATION_TIMEOUT_MS)));
    try {
      const response = await admin(t).post('/v1/users/alice/devices').send({ name: 'slow' });
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ code: 'AWS_UNAVAILABLE', details: { reason: 'DEADLINE_EXCEEDED' } });
    } finally {
      stop();
    }
  });
});
