/**
 * The data-plane scenarios against a real AWS account (`npm run test:live`, opt-in, never part of
 * `npm test`). Two ways:
 * - LIVE_SERVICE_URL and LIVE_ADMIN_KEY name a deployed service (its RESOURCE_PREFIX in
 *   LIVE_RESOURCE_PREFIX, default iotp); the run's users are named `<run id>-…`;
 * - otherwise the service boots here in aws mode from the usual settings (AWS_REGION, COGNITO_*,
 *   IOT_ENDPOINT optional, credentials from the standard chain; a throw-away database on DATABASE_URL
 *   or the embedded test Postgres) with RESOURCE_PREFIX unique to this run, so every AWS resource it creates is this run's.
 * At the end every site and user of the run is deleted through the service (devices, certificates, policies,
 * identities go with them), then, when the service booted here, drift repair removes whatever of the
 * run's prefix is left, even after a failure.
 * LIVE_REVOCATION_WAIT_MS (default 600000) bounds how long a refusal after a revocation may take:
 * AWS caches policies for 6–8 minutes.
 */
import { randomBytes } from 'node:crypto';
import { describeDataPlane } from '../dataplane/scenarios.js';
import type { DataPlaneTarget } from '../dataplane/service-client.js';
import { describeSiteDataPlane } from '../dataplane/site-scenarios.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

const env = process.env;

/** One run: its own id (and, when the service boots here, its own resource prefix). */
function liveRun(): { runId: string; start: () => Promise<DataPlaneTarget>; stop: () => Promise<void> } {
  const runId = `l${randomBytes(4).toString('hex').slice(0, 7)}`;
  let t: TestApp | undefined;
  let baseUrl = '';

  async function start(): Promise<DataPlaneTarget> {
    const revocationWaitMs = Number(env.LIVE_REVOCATION_WAIT_MS ?? 600_000);
    if (env.LIVE_SERVICE_URL) {
      if (!env.LIVE_ADMIN_KEY) throw new Error('LIVE_SERVICE_URL needs LIVE_ADMIN_KEY');
      baseUrl = env.LIVE_SERVICE_URL.replace(/\/$/, '');
      return { baseUrl, adminKey: env.LIVE_ADMIN_KEY, runId, resourcePrefix: env.LIVE_RESOURCE_PREFIX ?? 'iotp', revocationWaitMs, strict: false };
    }
    for (const name of ['AWS_REGION', 'COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID', 'COGNITO_IDENTITY_POOL_ID']) {
      if (!env[name]) throw new Error(`npm run test:live needs ${name} (or LIVE_SERVICE_URL and LIVE_ADMIN_KEY)`);
    }
    const resourcePrefix = `${(env.RESOURCE_PREFIX ?? 'iotp').slice(0, 8)}${runId}`;
    const settings = Object.fromEntries(Object.entries(env).filter(([name]) => /^(AWS_|COGNITO_|IOT_ENDPOINT$)/.test(name)));
    t = await startTestApp({
      aws: false,
      env: { ...settings, AWS_MODE: 'aws', RESOURCE_PREFIX: resourcePrefix, LOG_LEVEL: 'warn' },
    });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${port}`;
    return { baseUrl, adminKey: ADMIN_KEY, runId, resourcePrefix, revocationWaitMs, strict: false };
  }

  async function stop(): Promise<void> {
    if (!t) return;
    try {
      // Whatever carries this run's prefix and belongs to no user or device left (a failed deletion, an interrupted registration).
      const repaired = await fetch(`${baseUrl}/v1/admin/drift/repair?dryRun=false`, { method: 'POST', headers: { 'x-api-key': ADMIN_KEY } });
      if (!repaired.ok) process.stderr.write(`drift repair after the live run answered ${repaired.status}: ${await repaired.text()}\n`);
    } finally {
      await t.close();
    }
  }

  return { runId, start, stop };
}

const plain = liveRun();
describeDataPlane(`data plane against AWS (run ${plain.runId})`, plain.start, plain.stop);
const sites = liveRun();
describeSiteDataPlane(`sites on the data plane of AWS (run ${sites.runId})`, sites.start, sites.stop);
