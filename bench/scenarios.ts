import { setTimeout as sleep } from 'node:timers/promises';
import type { Child } from './ipc.js';
import { load, type LoadOptions, type LoadResult } from './load.js';

export const CONNECTIONS = 50;

export interface BenchContext {
  service: Child;
  plain: Child;
  /** Measured seconds per scenario, and unmeasured warm-up before it. */
  seconds: number;
  warmupSeconds: number;
  /** Scrape GET /metrics every second during measured runs, as Prometheus would. */
  scrapeMetrics?: boolean;
  /** Write a CPU profile of the service for each measured window into this directory (--profile). */
  profileDir?: string;
}

/** GET /metrics once a second until stopped; resolves to the scrapes that answered 200 and those that did not. */
export function scrapeEverySecond(url: string): { stop(): Promise<{ ok: number; failed: number }> } {
  const counts = { ok: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const scrape = fetch(`${url}/metrics`)
      .then(async (response) => {
        await response.text();
        counts[response.ok ? 'ok' : 'failed']++;
      })
      .catch(() => void counts.failed++)
      .finally(() => inFlight.delete(scrape));
    inFlight.add(scrape);
  }, 1000);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return counts;
    },
  };
}

/** Service CPU per GET /metrics, from `count` scrapes one after another while nothing else runs. */
export async function scrapeCost(context: BenchContext, count = 20): Promise<number> {
  const before = await context.service.call<number>('cpu');
  for (let n = 0; n < count; n++) await (await fetch(`${context.service.url}/metrics`)).text();
  return ((await context.service.call<number>('cpu')) - before) / count;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** Latency the AWS fakes add to every call; null where no AWS call is involved. */
  awsLatencyMs: number | null;
  load: LoadResult;
  /** CPU time the server process spent per response during the measured window (load-generator independent), the fakes' own work excluded. */
  serverCpuMicrosPerRequest: number;
  /**
   * The main thread's part of serverCpuMicrosPerRequest (the event loop's JavaScript and system
   * calls); the rest is the other threads' (V8's garbage-collection helpers, libuv's pool). Linux only.
   */
  serverMainThreadCpuMicrosPerRequest?: number;
  /** CPU time the AWS fakes' own work took per response (signing tokens, issuing certificates), reported apart. */
  fakesCpuMicrosPerRequest?: number;
  /** Statements sent to Postgres during the measured window (BEGIN and COMMIT included), per response; the service only. */
  queriesPerRequest?: number;
  /** Calls the fakes received during the measured window, divided by the responses. */
  awsCallsPerRequest: Record<string, number>;
  extra?: Record<string, unknown>;
}

interface CallCounts {
  window: Record<string, number>;
  total: Record<string, number>;
}

export interface MeasureOptions {
  /** The process whose CPU time is measured; default the service. */
  server?: Child;
  /**
   * Wait for the warm-up's requests to finish before counting calls (default). Off under AWS
   * quotas: idling would refill the rate limiter's bucket and the measured rate would include the burst.
   */
  settleAfterWarmup?: boolean;
}

/** Requests autocannon leaves in flight are answered within this long (plus AWS latency) of its end. */
const SETTLE_MS = 300;
const settle = (latencyMs: number | null) => sleep(SETTLE_MS + 4 * (latencyMs ?? 0));

/** Warm-up, then a measured run; AWS calls are counted per request sent in the measured run. */
export async function measure(
  context: BenchContext,
  scenario: { id: string; title: string; awsLatencyMs: number | null },
  options: Omit<LoadOptions, 'seconds'>,
  { server = context.service, settleAfterWarmup = true }: MeasureOptions = {},
): Promise<ScenarioResult> {
  if (context.warmupSeconds > 0) await load({ ...options, seconds: context.warmupSeconds });
  if (settleAfterWarmup) await settle(scenario.awsLatencyMs);
  await context.service.call('resetCalls');
  const fakes = server === context.service;
  const cpuBefore = await server.call<number>('cpu');
  const fakesBefore = fakes ? await server.call<number>('fakesCpu') : 0;
  const queriesBefore = fakes ? await server.call<number>('queries') : 0;
  const mainBefore = fakes ? await server.call<number | null>('mainCpu') : null;
  const scraper = context.scrapeMetrics && fakes ? scrapeEverySecond(context.service.url) : undefined;
  const profiling = context.profileDir !== undefined && fakes;
  if (profiling) await server.call('profileStart');
  const result = await load({ ...options, seconds: context.seconds });
  if (profiling) await server.call('profileStop', `${context.profileDir}/${scenario.id}-${scenario.awsLatencyMs ?? 'na'}ms.cpuprofile`);
  const scrapes = await scraper?.stop();
  const cpu = (await server.call<number>('cpu')) - cpuBefore;
  const fakesCpu = fakes ? (await server.call<number>('fakesCpu')) - fakesBefore : 0;
  const queries = fakes ? (await server.call<number>('queries')) - queriesBefore : 0;
  const mainAfter = fakes ? await server.call<number | null>('mainCpu') : null;
  await settle(scenario.awsLatencyMs);
  const { window } = await context.service.call<CallCounts>('calls');
  const requests = Math.max(1, result.requests);
  return {
    ...scenario,
    load: result,
    serverCpuMicrosPerRequest: cpu / requests,
    ...(fakes ? { fakesCpuMicrosPerRequest: fakesCpu / requests, queriesPerRequest: queries / requests } : {}),
    ...(mainBefore !== null && mainAfter !== null ? { serverMainThreadCpuMicrosPerRequest: (mainAfter - mainBefore) / requests } : {}),
    awsCallsPerRequest: perRequest(window, result.sent),
    ...(scrapes ? { extra: { metricsScrapes: scrapes } } : {}),
  };
}

export function perRequest(counts: Record<string, number>, requests: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([api, count]) => [api, requests > 0 ? count / requests : 0]));
}

/** (e) The ceilings: the same kind of bare JSON route in this Nest app and in plain Fastify. */
export async function ceilings(context: BenchContext): Promise<ScenarioResult[]> {
  const nest = await measure(
    context,
    { id: 'e1-nest-health-live', title: 'Ceiling: GET /health/live of this app', awsLatencyMs: null },
    { url: context.service.url, path: '/health/live', connections: CONNECTIONS },
  );
  const plain = await measure(
    context,
    { id: 'e2-plain-fastify', title: 'Ceiling: bare Fastify JSON route', awsLatencyMs: null },
    { url: context.plain.url, path: '/', connections: CONNECTIONS },
    { server: context.plain },
  );
  return [nest, plain];
}
