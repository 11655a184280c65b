import { burst } from './load.js';
import { CONNECTIONS, measure, perRequest, type BenchContext, type ScenarioResult } from './scenarios.js';
import type { SeededUser } from './seed.js';

/** One pass of scenarios (a)-(d) at one AWS latency. */
export interface PassContext extends BenchContext {
  latencyMs: number;
  adminKey: string;
  /** Users with an identity and an attached policy, whose credentials the warm-up has cached. */
  returning: SeededUser[];
  csrs: string[];
}

/** Concurrency of the registration scenario: enough to keep the quota busy, no more. */
const REGISTRATION_CONNECTIONS = 8;
/** The APIs one device registration calls, to find its slowest quota. */
const REGISTRATION_APIS = ['CreatePolicy', 'CreateThing', 'CreateCertificateFromCsr', 'CreateKeysAndCertificate', 'AttachPolicy', 'AttachThingPrincipal'];

const hitRate = (calls: Record<string, number>) => 1 - Math.min(1, calls.GetCredentialsForIdentity ?? 0);

/** (a) GET /v1/sessions/credentials with the ID tokens of the returning users, round robin. */
export async function bearerVend(context: PassContext): Promise<ScenarioResult> {
  const { returning } = context;
  const result = await measure(
    context,
    { id: 'a-bearer-vend', title: `Credential vend with bearer ID tokens of ${returning.length} users`, awsLatencyMs: context.latencyMs },
    {
      url: context.service.url,
      path: '/v1/sessions/credentials',
      connections: CONNECTIONS,
      vary: (n) => ({ headers: { authorization: `Bearer ${returning[n % returning.length]!.idToken}` } }),
    },
  );
  return { ...result, extra: { users: returning.length, cacheHitRate: hitRate(result.awsCallsPerRequest) } };
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
  return { ...result, extra: { users: returning.length, cacheHitRate: hitRate(result.awsCallsPerRequest) } };
}

/**
 * (c) Fresh users (no identity yet) all signing in at the same moment, under AWS's default quotas
 * with the app's rate limiter in front of them, as in production.
 */
export async function firstSignInStorm(context: PassContext, fresh: SeededUser[]): Promise<ScenarioResult> {
  await context.service.call('setQuotas', true);
  await context.service.call('resetCalls');
  const cpuBefore = await context.service.call<number>('cpu');
  const load = await burst(
    context.service.url,
    'POST',
    fresh.map((user) => ({ path: '/v1/sessions', body: JSON.stringify({ username: user.username, password: user.password }) })),
  );
  const cpu = (await context.service.call<number>('cpu')) - cpuBefore;
  const { window } = await context.service.call<{ window: Record<string, number> }>('calls');
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
    awsCallsPerRequest: perRequest(window, load.requests),
    extra: { users: fresh.length, succeeded, getId: window.GetId ?? 0, attachPolicy: window.AttachPolicy ?? 0, exactlyOneGetIdAndAttachPolicyPerUser: exactlyOneEach, wallSeconds: load.seconds },
  };
}

/** (d) POST /v1/users/{u}/devices with CSRs, under AWS's default quotas and the app's limiter. */
export async function deviceRegistration(context: PassContext): Promise<ScenarioResult> {
  const { returning, csrs } = context;
  // Counted across warm-up and measurement, so every device name is new.
  let registration = 0;
  await context.service.call('setQuotas', true);
  try {
    const result = await measure(
      context,
      { id: 'd-device-registration', title: 'Device registration, default AWS quotas', awsLatencyMs: context.latencyMs },
      {
        url: context.service.url,
        method: 'POST',
        path: '/',
        connections: REGISTRATION_CONNECTIONS,
        headers: { 'x-api-key': context.adminKey },
        vary: () => {
          const n = registration++;
          return {
            path: `/v1/users/${returning[n % returning.length]!.username}/devices`,
            body: JSON.stringify({ name: `dev-${context.latencyMs}-${n}`, csr: csrs[n % csrs.length] }),
          };
        },
      },
    );
    const rates = await context.service.call<Record<string, number>>('quotaRates', REGISTRATION_APIS);
    // Registrations per second each API's quota allows, given how often one registration calls it.
    const allowed = Object.entries(result.awsCallsPerRequest)
      .filter(([api, perRegistration]) => api in rates && perRegistration > 0)
      .map(([api, perRegistration]) => ({ api, registrationsPerSecond: rates[api]! / perRegistration }))
      .sort((x, y) => x.registrationsPerSecond - y.registrationsPerSecond);
    const registered = result.load.statuses['201'] ?? 0;
    const sustained = registered / result.load.seconds;
    const slowest = allowed[0];
    return {
      ...result,
      extra: {
        registrationsPerSecond: sustained,
        slowestApi: slowest?.api ?? null,
        slowestApiAllowsPerSecond: slowest?.registrationsPerSecond ?? null,
        shareOfQuota: slowest ? sustained / slowest.registrationsPerSecond : null,
        awsThrottled503: result.load.errorCodes.AWS_THROTTLED ?? 0,
      },
    };
  } finally {
    await context.service.call('setQuotas', false);
  }
}
