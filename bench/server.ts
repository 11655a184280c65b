import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { loadConfig } from '../src/config/app-config.js';
import { bootApp, type Replacement } from '../test/support/boot-app.js';
import { createBenchDatabase } from './database.js';
import { cpuMicros, mainThreadCpuMicros, peakRssBytes, serveCommands } from './ipc.js';
import { scaleCommands } from './scale/scale-seed.js';
import { RemoteAws } from './remote-aws.js';
import { seedUsers } from './seed.js';

/**
 * The service under test, in a child process of bench/run.ts: the real AppModule, configured as
 * main.ts configures it, over a fresh Postgres database, with its AWS ports bound to the stateful
 * AWS fakes, which run in a child process of this one (bench/aws-fakes.ts) with the JWKS server
 * of the fake pool's signing key.
 */

/**
 * Counts the statements sent to Postgres (BEGIN and COMMIT included): every query of the app,
 * Prisma's client and raw SQL alike, goes through pg's Client.query.
 */
function countQueries(): { read(): number } {
  let count = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    count++;
    return (query as (...args: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return { read: () => count };
}

/** The highest RSS sampled (every 250 ms: reading it costs a /proc read) since the last take: the peak of a phase, without the set-up before it. */
class RssPeak {
  private peak = 0;

  constructor() {
    setInterval(() => this.sample(), 250).unref();
  }

  take(): number {
    this.sample();
    const peak = this.peak;
    this.peak = 0;
    return peak;
  }

  private sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }
}

const ids = {
  region: 'eu-west-1',
  accountId: '123456789012',
  userPoolId: 'eu-west-1_BenchPool1',
  clientId: 'benchclient1234567890',
  identityPoolId: 'eu-west-1:00000000-0000-4000-8000-0000000000b1',
};
const adminKey = process.env.BENCH_ADMIN_KEY ?? '';
const database = await createBenchDatabase(process.env.DATABASE_URL);
const aws = await RemoteAws.start({ BENCH_AWS_IDS: JSON.stringify(ids) });
const config = loadConfig({
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  ADMIN_API_KEYS: adminKey,
  DATABASE_URL: database.url,
  DATABASE_MIGRATE_ON_START: 'false',
  RECOVERY_INTERVAL_MS: '3600000',
  AWS_REGION: ids.region,
  AWS_ACCOUNT_ID: ids.accountId,
  COGNITO_USER_POOL_ID: ids.userPoolId,
  COGNITO_CLIENT_ID: ids.clientId,
  COGNITO_IDENTITY_POOL_ID: ids.identityPoolId,
  COGNITO_JWKS_URI: aws.jwksUrl,
  // IOT_ENDPOINT stays unset: the service asks DescribeEndpoint, and the bench checks it does so once.
  CREDENTIAL_CACHE_ENABLED: process.env.CREDENTIAL_CACHE_ENABLED,
  CREDENTIAL_CACHE_MAX_ENTRIES: process.env.CREDENTIAL_CACHE_MAX_ENTRIES,
});
let profiler: Session | undefined;
const rssPeak = new RssPeak();
const queries = countQueries();

// Logs go to stdout as in production (buffered, asynchronous writes); the parent points the child's stdout at /dev/null.
const app = await bootApp({ config, replace: aws.providers() as Replacement[] });
await app.listen({ host: config.host, port: config.port });

serveCommands(
  await app.getUrl(),
  {
    rss: () => peakRssBytes(),
    takeRssPeak: () => rssPeak.take(),
    /** After seeding: the set-up's garbage should not count as the scenarios' memory (the bench starts this child with --expose-gc). */
    collectGarbage: () => globalThis.gc?.(),
    /** What the heap holds after a full collection: growth here across a run would be a leak, unlike RSS. */
    liveHeap: () => (globalThis.gc?.(), process.memoryUsage().heapUsed),
    /** The service's CPU time; the fakes (AWS's work) run in a process of their own. */
    cpu: () => cpuMicros(),
    fakesCpu: () => aws.fakes.call<number>('cpu'),
    /** The main thread's share of `cpu`; null without /proc. */
    mainCpu: () => mainThreadCpuMicros() ?? null,
    queries: () => queries.read(),
    rssNow: () => process.memoryUsage.rss(),
    /** A CPU profile of one measured window (--profile), written where the parent says. */
    profileStart: async () => {
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    },
    profileStop: async (file: string) => {
      const { profile } = await profiler!.post('Profiler.stop');
      profiler!.disconnect();
      await writeFile(file, JSON.stringify(profile));
    },
    // What AWS saw and how it behaves: asked of the fakes' process.
    ...Object.fromEntries(
      ['calls', 'resetCalls', 'jwksRequests', 'setLatency', 'setQuotas', 'quotaRates', 'takeThrottlesRetried'].map((command) => [
        command,
        (args: unknown) => aws.fakes.call(command, args),
      ]),
    ),
    fakesRss: () => aws.fakes.call<number>('rss'),
    seedUsers: (options: { prefix: string; count: number; signedIn: boolean }) => seedUsers(app, aws, config.resourcePrefix, options),
    ...scaleCommands({ app, aws, resourcePrefix: config.resourcePrefix, databaseUrl: database.url }),
  },
  async () => {
    await app.close();
    await aws.fakes.stop();
    await database.drop();
  },
);
