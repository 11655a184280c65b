import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { QuotaLimiter } from '../../src/aws/quota-limiter.js';
import { loadConfig } from '../../src/config/app-config.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import type { Env } from '../../src/config/env-parsers.js';
import { consistency } from '../support/invariants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { idTokenOf, signIn } from '../support/http/sessions.js';
import { createUser, PASSWORD, readyUser } from '../support/http/users.js';

/**
 * AWS quotas under a burst. The fakes throttle like AWS above the account's quota
 * (enforceQuotas), and every call first passes the same QuotaLimiter the adapters use, built from
 * the app's own settings: a burst is queued and paced, so clients never see AWS throttling; only
 * when the queue is full do they get 503 AWS_THROTTLED with Retry-After, never a 500.
 * Quotas are scaled up through AWS_QUOTAS (in the limiter and in the fake alike) to keep it short.
 */

const API = 'GetCredentialsForIdentity';

describe('AWS quotas under a burst', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  /** The app, with fakes that enforce `quota` for the API behind a limiter built from the app's settings. */
  async function appWithQuota(quota: number, env: Env = {}, awsQuota = quota): Promise<TestApp> {
    const settings: Env = { AWS_QUOTAS: `${API}=${quota}`, CREDENTIAL_CACHE_ENABLED: 'false', ...env };
    const limiter = new QuotaLimiter(loadConfig(settings));
    expect(limiter.rateOf(API)).toBe(quota);
    const app = await startTestApp({ env: settings, aws: { enforceQuotas: true, awsQuotas: { [API]: awsQuota }, limiter } });
    await readyUser(app, 'burst');
    // Linked once, so each credentials request is one row read and one GetCredentialsForIdentity.
    expect((await signIn(app, 'burst')).status).toBe(200);
    return app;
  }

  /** GET /v1/sessions/credentials without sockets (Fastify's inject), so a thousand can be in flight. */
  function credentials(app: TestApp, idToken: string) {
    return app.app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'GET', url: '/v1/sessions/credentials', headers: { authorization: `Bearer ${idToken}` } });
  }

  it('a burst of 10x the quota (1,000 requests in one second at 100/s) is queued and paced: every request succeeds, none throttled', async () => {
    const quota = 100;
    // The limiter paces at the configured rate while AWS counts per second from its own clock; on a loaded
    // machine a stalled event loop releases the waiting calls a few milliseconds late, together. Configured
    // a little under the account's quota (here AWS allows 110/s), the limiter absorbs that jitter.
    t = await appWithQuota(quota, {}, quota + quota / 10);
    const idToken = idTokenOf(t.aws, 'burst');
    t.aws.resetCalls();
    const pending: Array<ReturnType<typeof credentials>> = [];
    // Ten waves of 100, 100 ms apart: ten times the quota, sustained for a second.
    for (let wave = 0; wave < 10; wave++) {
      for (let i = 0; i < quota; i++) pending.push(credentials(t, idToken));
      await sleep(100);
    }
    const responses = await Promise.all(pending);

    const outcomes: Record<string, number> = {};
    for (const response of responses) {
      const outcome = response.statusCode === 200 ? '200' : `${response.statusCode} ${(response.json() as { code?: string }).code}`;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ 200: 1000 });
    // Each request reached AWS once, and AWS (enforcing its quota) throttled none of them.
    expect(t.aws.countCalls(API)).toBe(1000);
  });

  it('operations whose steps wait in the queue far longer than their lease keep it: recovery never takes over a live one', async () => {
    const settings: Env = { AWS_QUOTAS: 'CreatePolicy=2', OPERATION_LEASE_MS: '500' };
    const limiter = new QuotaLimiter(loadConfig(settings));
    t = await startTestApp({ env: settings, aws: { enforceQuotas: true, awsQuotas: { CreatePolicy: 2 }, limiter } });
    const recovery = t.app.get(RecoveryService);
    // Ten creations at 2 CreatePolicy/s: the last waits about four seconds, eight leases.
    const creating = Promise.all(
      Array.from({ length: 10 }, (_, i) => Promise.resolve(createUser(t!, { username: `queued-${i}`, temporaryPassword: PASSWORD }))),
    );
    let settled = false;
    void creating.finally(() => (settled = true));
    let takenOver = 0;
    while (!settled) {
      takenOver += await recovery.recoverAll();
      await sleep(100);
    }
    expect((await creating).map((response) => response.status)).toEqual(Array(10).fill(201));
    expect(takenOver).toBe(0);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });

  it('answers 503 AWS_THROTTLED with Retry-After once the queue is full, serves the rest, and never a 500', async () => {
    t = await appWithQuota(10, { AWS_QUEUE_LIMIT: '20' });
    const idToken = idTokenOf(t.aws, 'burst');
    const responses = await Promise.all(Array.from({ length: 100 }, () => credentials(t!, idToken)));

    const served = responses.filter((response) => response.statusCode === 200);
    const refused = responses.filter((response) => response.statusCode !== 200);
    // Up to ten in the bucket (the sign-in took one, refilled at 10/s) and twenty in the queue, plus
    // what the bucket refilled while the requests arrived; the rest are refused at once.
    expect(served.length).toBeGreaterThanOrEqual(20);
    expect(refused.length).toBeGreaterThanOrEqual(50);
    for (const response of refused) {
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'AWS_THROTTLED', details: { api: API } });
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
  });
});
