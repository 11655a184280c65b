import { setTimeout as sleep } from 'node:timers/promises';
import { createTestCsr } from '../test/support/csr.js';
import { burst, load } from './load.js';
import { CONNECTIONS, measure, perRequest, type BenchContext, type ScenarioResult } from './scenarios.js';
import type { BenchUser } from './seed.js';

/** One pass of scenarios (a)-(d) at one AWS latency. */
export interface PassContext extends BenchContext {
  latencyMs: number;
  adminKey: string;
  /** Users with an identity and an attached policy, whose credentials the warm-up has cached. */
  returning: BenchUser[];
}

/** Concurrency of the registration scenario: enough to keep the quota busy, no more. */
const REGISTRATION_CONNECTIONS = 8;
/** The limiter's buckets start full (one second of quota); the warm-up must spend that burst before counting starts. */
const REGISTRATION_WARMUP_SECONDS = 3;
/** The APIs one device registration calls, to find its slowest quota. */
const REGISTRATION_APIS = [
  'DescribeEndpoint',
  'CreatePolicy',
  'CreateThing',
  'CreateCertificateFromCsr',
  'CreateKeysAndCertificate',
  'AttachPolicy',
  'AttachThingPrincipal',
];

/** The main thread's CPU per request, where /proc tells it. */
function mainThreadShare(before: number | null, after: number | null, requests: number): { serverMainThreadCpuMicrosPerRequest?: number } {
  return before === null || after === null ? {} : { serverMainThreadCpuMicrosPerRequest: (after - before) / Math.max(1, requests) };
}

const hitRate = (calls: Record<string, number>) => 1 - Math.min(1, calls.GetCredentialsForIdentity ?? 0);

function withoutRetried(calls: Record<string, number>, retried: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(calls).map(([api, count]) => [api, count - (retried[api] ?? 0)]));
}

/** (a) GET /v1/sessions/credentials with the ID tokens of the returning users, round robin. */
export async function bearerVend(context: PassContext): Promise<ScenarioResult> {
  const { returning } = context;
  const options = {
    url: context.service.url,
    path: '/v1/sessions/credentials',
    connections: CONNECTIONS,
    vary: (n: number) => ({ headers: { authorization: `Bearer ${returning[n % returning.length]!.idToken}` } }),
  };
  // One vend per user first, so the measured run sees the cache warm (its hit rate is reported, not assumed).
  await load({ ...options, amount: returning.length });
  const result = await measure(
    context,
    { id: 'a-bearer-vend', title: `Credential vend with bearer ID tokens of ${returning.length} users`, awsLatencyMs: context.latencyMs },
    options,
  );
  return { ...result, extra: { ...result.extra, users: returning.length, cacheHitRate: hitRate(result.awsCallsPerRequest) } };
}

/** (b) POST /v1/sessions with username and password of the returning users, round robin. */
export async function passwordSignIn(context: PassContext): Promise<ScenarioResult> {
  const { returning } = context;
  const result = await measure(
    context,
    { id: 'b-password-sign-in', title: 'Password sign-in of returning users', awsLatencyMs: context.latencyMs },
    {
      url: context.service.url,
      method: 'POST',
      path: '/v1/sessions',
      connections: CONNECTIONS,
      vary: (n) => {
        const user = returning[n % returning.length]!;
        return { body: JSON.stringify({ username: user.username, password: user.password }) };
      },
    },
  );
  return { ...result, extra: { ...result.extra, users: returning.length, cacheHitRate: hitRate(result.awsCallsPerRequest) } };
}

/**
 * (c) Fresh users (no identity yet) all signing in at the same moment, under AWS's default quotas
 * with the app's rate limiter in front of them, as in production.
 */
export async function firstSignInStorm(context: PassContext, fresh: BenchUser[]): Promise<ScenarioResult> {
  await context.service.call('setQuotas', true);
  await context.service.call('resetCalls');
  await context.service.call('takeThrottlesRetried');
  const cpuBefore = await context.service.call<number>('cpu');
  const fakesBefore = await context.service.call<number>('fakesCpu');
  const queriesBefore = await context.service.call<number>('queries');
  const mainBefore = await context.service.call<number | null>('mainCpu');
  if (context.profileDir) await context.service.call('profileStart');
  const load = await burst(
    context.service.url,
    'POST',
    fresh.map((user) => ({ path: '/v1/sessions', body: JSON.stringify({ username: user.username, password: user.password }) })),
  );
  if (context.profileDir) await context.service.call('profileStop', `${context.profileDir}/c-first-sign-in-storm-${context.latencyMs}ms.cpuprofile`);
  const cpu = (await context.service.call<number>('cpu')) - cpuBefore;
  const fakesCpu = (await context.service.call<number>('fakesCpu')) - fakesBefore;
  const queries = (await context.service.call<number>('queries')) - queriesBefore;
  const mainAfter = await context.service.call<number | null>('mainCpu');
  const retried = await context.service.call<Record<string, number>>('takeThrottlesRetried');
  // The fakes log every attempt; a throttled one that was retried is not a second call by the service.
  const window = withoutRetried((await context.service.call<{ window: Record<string, number> }>('calls')).window, retried);
  await context.service.call('setQuotas', false);
  const succeeded = load.statuses['200'] ?? 0;
  // Every sign-in needed at least one GetId and one AttachPolicy; totals equal to the user count mean exactly one each.
  const exactlyOneEach = succeeded === fresh.length && window.GetId === fresh.length && window.AttachPolicy === fresh.length;
  return {
    id: 'c-first-sign-in-storm',
    title: `${fresh.length} first sign-ins at once, default AWS quotas`,
    awsLatencyMs: context.latencyMs,
    load,
    serverCpuMicrosPerRequest: cpu / Math.max(1, load.requests),
    fakesCpuMicrosPerRequest: fakesCpu / Math.max(1, load.requests),
    queriesPerRequest: queries / Math.max(1, load.requests),
    ...mainThreadShare(mainBefore, mainAfter, load.requests),
    awsCallsPerRequest: perRequest(window, load.requests),
    extra: {
      users: fresh.length,
      succeeded,
      getId: window.GetId ?? 0,
      attachPolicy: window.AttachPolicy ?? 0,
      exactlyOneGetIdAndAttachPolicyPerUser: exactlyOneEach,
      wallSeconds: load.seconds,
      awsThrottlesRetried: retried,
    },
  };
}

/**
 * (d) POST /v1/users/{u}/devices with CSRs, under AWS's default quotas and the app's limiter.
 * One continuous run, counted after the warm-up: a run stopped after its warm-up would leave its
 * queued registrations to spend quota in the measured window without being counted.
 */
export async function deviceRegistration(context: PassContext): Promise<ScenarioResult> {
  const { returning, service } = context;
  let registration = 0;
  let registered = 0;
  const warmupSeconds = Math.max(context.warmupSeconds, REGISTRATION_WARMUP_SECONDS);
  const warmupMs = warmupSeconds * 1000;
  await service.call('setQuotas', true);
  try {
    const started = performance.now();
    const windowOpened = sleep(warmupMs).then(async () => {
      await service.call('resetCalls');
      await service.call('takeThrottlesRetried');
      if (context.profileDir) await service.call('profileStart');
      return {
        at: performance.now(),
        cpu: await service.call<number>('cpu'),
        fakesCpu: await service.call<number>('fakesCpu'),
        queries: await service.call<number>('queries'),
        main: await service.call<number | null>('mainCpu'),
      };
    });
    const result = await load({
      url: service.url,
      method: 'POST',
      path: '/',
      connections: REGISTRATION_CONNECTIONS,
      seconds: warmupSeconds + context.seconds,
      headers: { 'x-api-key': context.adminKey },
      vary: () => {
        const n = registration++;
        // A key of its own per device: a public key is registered once (409 PUBLIC_KEY_IN_USE otherwise).
        const body = JSON.stringify({ name: `dev-${context.latencyMs}-${n}`, csr: createTestCsr().csrPem });
        return { path: `/v1/users/${returning[n % returning.length]!.username}/devices`, body };
      },
      onStatus: (status) => void (status === 201 && performance.now() - started >= warmupMs && registered++),
    });
    const window = await windowOpened;
    if (context.profileDir) await service.call('profileStop', `${context.profileDir}/d-device-registration-${context.latencyMs}ms.cpuprofile`);
    const seconds = (performance.now() - window.at) / 1000;
    const cpu = (await service.call<number>('cpu')) - window.cpu;
    const fakesCpu = (await service.call<number>('fakesCpu')) - window.fakesCpu;
    const queries = (await service.call<number>('queries')) - window.queries;
    const main = await service.call<number | null>('mainCpu');
    const retried = await service.call<Record<string, number>>('takeThrottlesRetried');
    const calls = withoutRetried((await service.call<{ window: Record<string, number> }>('calls')).window, retried);
    const rates = await service.call<Record<string, number>>('quotaRates', REGISTRATION_APIS);
    // Registrations per second each API's quota allows, given how many calls one registration makes.
    const allowed = Object.entries(perRequest(calls, registered))
      .filter(([api, perRegistration]) => api in rates && perRegistration > 0)
      .map(([api, perRegistration]) => ({ api, registrationsPerSecond: rates[api]! / Math.max(1, Math.round(perRegistration)) }))
      .sort((x, y) => x.registrationsPerSecond - y.registrationsPerSecond);
    const sustained = registered / seconds;
    const slowest = allowed[0];
    return {
      id: 'd-device-registration',
      title: 'Device registration, default AWS quotas (req/s after the warm-up; latencies and errors over the whole run)',
      awsLatencyMs: context.latencyMs,
      load: { ...result, requests: registered, seconds, rps: sustained },
      serverCpuMicrosPerRequest: cpu / Math.max(1, registered),
      fakesCpuMicrosPerRequest: fakesCpu / Math.max(1, registered),
      queriesPerRequest: queries / Math.max(1, registered),
      ...mainThreadShare(window.main, main, registered),
      awsCallsPerRequest: perRequest(calls, registered),
      extra: {
        registrationsPerSecond: sustained,
        slowestApi: slowest?.api ?? null,
        slowestApiAllowsPerSecond: slowest?.registrationsPerSecond ?? null,
        shareOfQuota: slowest ? sustained / slowest.registrationsPerSecond : null,
        awsThrottled503: result.errorCodes.AWS_THROTTLED ?? 0,
        awsThrottlesRetried: retried,
      },
    };
  } finally {
    await service.call('setQuotas', false);
  }
}
