import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { QuotaLimiter } from '../src/aws/quota-limiter.js';
import { isDomainError } from '../src/common/errors/domain-error.js';
import { loadConfig, type AppConfig } from '../src/config/app-config.js';
import { FakeAws } from '../test/fakes/fake-aws.js';
import { bootApp, type Replacement } from '../test/support/boot-app.js';
import { JwksServer } from '../test/support/jwks-server.js';
import { TestTokenIssuer } from '../test/support/token-issuer.js';
import { createBenchDatabase } from './database.js';
import { cpuMicros, mainThreadCpuMicros, peakRssBytes, serveCommands } from './ipc.js';
import { scaleCommands } from './scale/scale-seed.js';
import { ReusedTokens, seedUsers } from './seed.js';

/** The SDK's base retry delay. */
const SDK_RETRY_BASE_MS = 100;

/**
 * The service under test, in a child process of bench/run.ts: the real AppModule, configured as
 * main.ts configures it, over a fresh Postgres database, with the stateful AWS fakes bound in
 * place of the AWS adapters and a JWKS server for the fake pool's signing key.
 */

/**
 * The app's QuotaLimiter, switched on only for scenarios that run under AWS's quotas, plus what the
 * adapters' SDK clients add inside each limiter slot and the fakes lack: a throttled call is
 * retried after a jittered exponential backoff, up to AWS_MAX_ATTEMPTS attempts (AwsRetryStrategy).
 */
class SwitchableLimiter extends QuotaLimiter {
  enabled = false;
  /** Throttling answers the retries absorbed, by API; only those that ran out of attempts reach a client. */
  throttlesRetried = new Map<string, number>();

  constructor(private readonly appConfig: AppConfig) {
    super(appConfig);
  }

  override run<T>(api: string, call: () => Promise<T>): Promise<T> {
    return this.enabled ? super.run(api, () => this.withRetries(api, call)) : call();
  }

  private async withRetries<T>(api: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= this.appConfig.aws.maxAttempts || !isDomainError(error, 'AWS_THROTTLED')) throw error;
        this.throttlesRetried.set(api, (this.throttlesRetried.get(api) ?? 0) + 1);
        await sleep(Math.random() * SDK_RETRY_BASE_MS * 2 ** attempt);
      }
    }
  }
}

/** Folds the fakes' call log into counters (and empties it) so a long run does not grow it without bound. */
class CallCounter {
  private readonly window = new Map<string, number>();
  private readonly total = new Map<string, number>();

  constructor(private readonly aws: FakeAws) {
    setInterval(() => this.fold(), 250).unref();
  }

  fold(): void {
    for (const { api } of this.aws.calls) {
      this.window.set(api, (this.window.get(api) ?? 0) + 1);
      this.total.set(api, (this.total.get(api) ?? 0) + 1);
    }
    this.aws.resetCalls();
    // The fakes remember every secret they hand out for the tests' log checks; the bench has no use for them.
    this.aws.runtime.secrets.clear();
  }

  read(): { window: Record<string, number>; total: Record<string, number> } {
    this.fold();
    return { window: Object.fromEntries(this.window), total: Object.fromEntries(this.total) };
  }

  reset(): void {
    this.fold();
    this.window.clear();
  }
}

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
const tokens = new ReusedTokens(
  new TestTokenIssuer({ issuer: `https://cognito-idp.${ids.region}.amazonaws.com/${ids.userPoolId}`, clientId: ids.clientId }),
);
const jwks = new JwksServer(() => tokens.issuer.jwks());
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
  COGNITO_JWKS_URI: await jwks.start(),
  // IOT_ENDPOINT stays unset: the service asks DescribeEndpoint, and the bench checks it does so once.
  CREDENTIAL_CACHE_ENABLED: process.env.CREDENTIAL_CACHE_ENABLED,
  CREDENTIAL_CACHE_MAX_ENTRIES: process.env.CREDENTIAL_CACHE_MAX_ENTRIES,
});
const limiter = new SwitchableLimiter(config);
let profiler: Session | undefined;
// The scale run pages at AWS's largest page sizes (IoT 250, ListUsers 60); the other scenarios list nothing.
const scalePages = process.env.BENCH_IOT_PAGE_SIZE ? Number(process.env.BENCH_IOT_PAGE_SIZE) : undefined;
const aws = new FakeAws({ ...ids, tokens, limiter, pageSize: scalePages, userPageSize: scalePages === undefined ? undefined : 60 });
const counter = new CallCounter(aws);
const rssPeak = new RssPeak();
const queries = countQueries();

// Logs go to stdout as in production (buffered, asynchronous writes); the parent points the child's stdout at /dev/null.
const app = await bootApp({ config, replace: [{ provide: QuotaLimiter, useValue: limiter }, ...(aws.providers() as Replacement[])] });
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
    /** The service's CPU time: the process's, less what the fakes' own work (AWS's, not the service's) took. */
    cpu: () => cpuMicros() - aws.runtime.cpuMicros,
    fakesCpu: () => aws.runtime.cpuMicros,
    /** The main thread's share of `cpu` (the fakes' work, which runs there, excluded); null without /proc. */
    mainCpu: () => {
      const main = mainThreadCpuMicros();
      return main === undefined ? null : main - aws.runtime.cpuMicros;
    },
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
    calls: () => counter.read(),
    resetCalls: () => counter.reset(),
    jwksRequests: () => jwks.requests,
    setLatency: (ms: number) => void (aws.latencyMs = ms),
    /** AWS's default quotas enforced by the fakes, and the app's client-side limiter in front of them. */
    setQuotas: (on: boolean) => void ((aws.enforceQuotas = on), (limiter.enabled = on)),
    /** This replica's client-side rate for each API, calls per second. */
    quotaRates: (apis: string[]) => Object.fromEntries(apis.map((api) => [api, limiter.rateOf(api)])),
    /** Throttled attempts the SDK-like retries repeated, by API: the fakes log each attempt as a call. */
    takeThrottlesRetried: () => {
      const retried = Object.fromEntries(limiter.throttlesRetried);
      limiter.throttlesRetried.clear();
      return retried;
    },
    seedUsers: (options: { prefix: string; count: number; signedIn: boolean }) => seedUsers(app, aws, tokens, config.resourcePrefix, options),
    ...scaleCommands({ app, aws, tokens, resourcePrefix: config.resourcePrefix, databaseUrl: database.url }),
  },
  async () => {
    await app.close();
    await jwks.stop();
    await database.drop();
  },
);
