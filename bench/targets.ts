import { mb } from './report.js';
import type { ScenarioResult } from './scenarios.js';
import type { SoakResult } from './soak.js';

export interface Target {
  id: string;
  description: string;
  /** What was measured, in the unit of the description. */
  measured: number | string | boolean | null;
  pass: boolean;
  /** Why it failed or could not be measured. */
  note?: string;
}

const RSS_LIMIT_MB = 200;
const BEARER_SHARE_OF_PLAIN = 0.5;
/** Service CPU per request, fakes' work excluded, µs. */
const SIGN_IN_CPU_LIMIT_US = 600;
const REGISTRATION_CPU_LIMIT_US = 8000;
/** Share of the vend throughput one scrape a second may cost. */
const METRICS_SHARE_LIMIT = 0.05;
/** Calls per request are counted over a window whose edges cut a few requests in two. */
const TOLERANCE = 0.02;

function sumOf(calls: Record<string, number>): number {
  return Object.values(calls).reduce((sum, value) => sum + value, 0);
}

function missing(id: string, description: string): Target {
  return { id, description, measured: null, pass: false, note: 'scenario did not run in this pass' };
}

/** The issue's performance targets and the "minimal AWS calls" rules, each as pass/fail. */
export function evaluateTargets(
  scenarios: ScenarioResult[],
  aws: { callsTotal: Record<string, number>; jwksFetches: number },
  peakRssBytes: number,
  extra: { metricsScrapeCpuMicros: number; soak?: SoakResult },
): Target[] {
  const find = (id: string, latency?: number) => scenarios.find((s) => s.id === id && (latency === undefined || s.awsLatencyMs === latency));
  const targets: Target[] = [];
  const plain = find('e2-plain-fastify');
  const bearer = find('a-bearer-vend', 0);

  const ratioText = `bearer vend (cache hits, 0 ms fakes) req/s >= ${BEARER_SHARE_OF_PLAIN * 100}% of plain Fastify req/s in the same run`;
  if (bearer && plain) {
    const ratio = bearer.load.rps / plain.load.rps;
    // Both servers share two cores with the load generator, so req/s swing with whatever else runs;
    // server CPU time per request is the steadier comparison and is reported beside it.
    const cpuRatio = plain.serverCpuMicrosPerRequest / bearer.serverCpuMicrosPerRequest;
    const note = `${Math.round(bearer.load.rps)} vs ${Math.round(plain.load.rps)} req/s; by server CPU per request ${Math.round(bearer.serverCpuMicrosPerRequest)} vs ${Math.round(plain.serverCpuMicrosPerRequest)} us = ${cpuRatio.toFixed(2)}`;
    targets.push({ id: 'bearer-throughput', description: ratioText, measured: ratio, pass: ratio >= BEARER_SHARE_OF_PLAIN, note });
    targets.push({
      id: 'bearer-p99',
      description: 'bearer vend p99 < 10 ms at 50 connections',
      measured: bearer.load.latencyMs.p99,
      pass: bearer.load.latencyMs.p99 < 10,
    });
    // One scrape a second takes this share of the service's CPU while it serves vends flat out.
    const vendCpuPerSecond = bearer.serverCpuMicrosPerRequest * bearer.load.rps;
    const share = extra.metricsScrapeCpuMicros / Math.max(1, vendCpuPerSecond);
    targets.push({
      id: 'metrics-cost',
      description: `GET /metrics once a second costs < ${METRICS_SHARE_LIMIT * 100}% of the vend throughput (scrape CPU / vend CPU per second)`,
      measured: share,
      pass: share < METRICS_SHARE_LIMIT,
      note: `${Math.round(extra.metricsScrapeCpuMicros)} us per scrape`,
    });
  } else {
    targets.push(missing('bearer-throughput', ratioText), missing('bearer-p99', 'bearer vend p99 < 10 ms'));
  }

  for (const s of scenarios) {
    const errors = s.load.non2xx + s.load.socketErrors;
    const at = `at ${s.awsLatencyMs} ms`;
    if (s.id === 'a-bearer-vend') {
      const credentialCalls = s.awsCallsPerRequest.GetCredentialsForIdentity ?? 0;
      const onlyCredentials = sumOf(s.awsCallsPerRequest) === credentialCalls && credentialCalls <= 1 + TOLERANCE;
      targets.push({
        id: `a-aws-calls-${s.awsLatencyMs}`,
        description: `(a) ${at}: AWS calls per bearer vend = GetCredentialsForIdentity only, 0 on a hit, 1 on a miss`,
        measured: JSON.stringify(s.awsCallsPerRequest),
        pass: onlyCredentials && errors === 0,
        note: errors ? `${errors} errors` : undefined,
      });
    }
    if (s.id === 'b-password-sign-in' && s.awsLatencyMs === 0) {
      targets.push({
        id: 'b-cpu',
        description: `(b) returning password sign-in <= ${SIGN_IN_CPU_LIMIT_US} us of service CPU per request (fakes excluded)`,
        measured: s.serverCpuMicrosPerRequest,
        pass: s.serverCpuMicrosPerRequest <= SIGN_IN_CPU_LIMIT_US,
        note: `fakes ${Math.round(s.fakesCpuMicrosPerRequest ?? 0)} us`,
      });
    }
    if (s.id === 'd-device-registration' && s.awsLatencyMs === 0) {
      targets.push({
        id: 'd-cpu',
        description: `(d) device registration <= ${REGISTRATION_CPU_LIMIT_US} us of service CPU per registration (fakes excluded)`,
        measured: s.serverCpuMicrosPerRequest,
        pass: s.serverCpuMicrosPerRequest <= REGISTRATION_CPU_LIMIT_US,
        note: `fakes ${Math.round(s.fakesCpuMicrosPerRequest ?? 0)} us`,
      });
    }
    if (s.id === 'b-password-sign-in') {
      const calls = s.awsCallsPerRequest;
      const minimal =
        Math.abs((calls.AdminInitiateAuth ?? 0) - 1) <= TOLERANCE &&
        (calls.GetCredentialsForIdentity ?? 0) <= 1 + TOLERANCE &&
        sumOf(calls) - (calls.AdminInitiateAuth ?? 0) - (calls.GetCredentialsForIdentity ?? 0) === 0;
      targets.push({
        id: `b-aws-calls-${s.awsLatencyMs}`,
        description: `(b) ${at}: AWS calls per returning sign-in = AdminInitiateAuth + GetCredentialsForIdentity (the latter 0 on a cache hit)`,
        measured: JSON.stringify(calls),
        pass: minimal && errors === 0,
        note: errors ? `${errors} errors` : undefined,
      });
    }
    if (s.id === 'c-first-sign-in-storm') {
      const { succeeded, users, exactlyOneGetIdAndAttachPolicyPerUser } = s.extra as {
        succeeded: number;
        users: number;
        exactlyOneGetIdAndAttachPolicyPerUser: boolean;
      };
      targets.push({
        id: `c-storm-${s.awsLatencyMs}`,
        description: `(c) ${at}: every first sign-in succeeds, exactly one GetId and one AttachPolicy per user`,
        measured: `${succeeded}/${users}`,
        pass: exactlyOneGetIdAndAttachPolicyPerUser && errors === 0,
        note: errors ? JSON.stringify(s.load.errorCodes) : undefined,
      });
    }
    if (s.id === 'd-device-registration') {
      const { shareOfQuota, awsThrottled503, slowestApi } = s.extra as {
        shareOfQuota: number | null;
        awsThrottled503: number;
        slowestApi: string | null;
      };
      const other = errors - awsThrottled503;
      targets.push({
        id: `d-registration-${s.awsLatencyMs}`,
        description: `(d) ${at}: registrations/s >= 90% of the slowest API's quota (${slowestApi}), zero 503 AWS_THROTTLED`,
        measured: shareOfQuota,
        pass: shareOfQuota !== null && shareOfQuota >= 0.9 && awsThrottled503 === 0 && other === 0,
        note: `${awsThrottled503} throttled${other ? `, ${other} other errors ${JSON.stringify(s.load.errorCodes)}` : ''}`,
      });
    }
  }

  targets.push({
    id: 'jwks-once',
    description: 'JWKS fetched once for the run (one key set)',
    measured: aws.jwksFetches,
    pass: aws.jwksFetches === 1,
  });
  const describes = aws.callsTotal.DescribeEndpoint ?? 0;
  targets.push({ id: 'describe-endpoint-once', description: 'DescribeEndpoint called once per process', measured: describes, pass: describes === 1 });
  targets.push({
    id: 'peak-rss',
    description: `peak RSS of the service through all scenarios < ${RSS_LIMIT_MB} MB`,
    measured: mb(peakRssBytes),
    pass: mb(peakRssBytes) < RSS_LIMIT_MB,
  });
  if (extra.soak) {
    const { rssMB, growth, flat, requests } = extra.soak;
    targets.push({
      id: 'soak-flat',
      description: `soak ${extra.soak.seconds} s: RSS flat (last third's mean within 10% of the first third's), max < ${RSS_LIMIT_MB} MB, no errors`,
      measured: growth,
      pass: flat && rssMB.max < RSS_LIMIT_MB && requests.errors === 0,
      note: `first third ${rssMB.firstThirdMean} MB, last third ${rssMB.lastThirdMean} MB, max ${rssMB.max} MB, ${requests.vend + requests.signIn} requests, ${requests.errors} errors`,
    });
  }
  return targets;
}
