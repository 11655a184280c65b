import http from 'node:http';
import { createTestCsr } from '../../test/support/csr.js';
import { encodeCursor } from '../../src/common/http/pagination.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { load, type LoadOptions } from '../load.js';
import { perRequest, type BenchContext, type ScenarioResult } from '../scenarios.js';
import type { BenchUser } from '../seed.js';
import { postgresCpuMicrosBetween, postgresCpuSample } from './postgres-cpu.js';
import { scaleDeviceName, scaleUsername, TABLES, type TableSize } from './scale-seed.js';

export interface ScaleContext extends BenchContext {
  adminKey: string;
  csrs: string[];
  /** The embedded server's postmaster.pid and this service's database, for the database's CPU time. */
  postgresPidFile: string | undefined;
  databaseName: string;
}

export interface DriftCost {
  seconds: number;
  status: number;
  /** Highest RSS of the service while the report ran, and its RSS just before. */
  peakRssBytes: number;
  rssBeforeBytes: number;
  /** AWS calls the report made, by API. */
  awsCalls: Record<string, number>;
  findings: Record<string, number>;
  /** The error code when the report failed. */
  code?: string;
}

export interface TableGrowth {
  operations: number;
  /** Bytes each table grew by per 1,000 operations (heap, indexes and TOAST). */
  bytesPer1000: Record<string, number>;
  rowsPer1000: Record<string, number>;
}

/** One measured request shape against one fleet. */
export interface ScaleScenario {
  id: string;
  title: string;
  options: Omit<LoadOptions, 'seconds' | 'url' | 'connections'>;
}

/** Cursors at spread depths of the second half of a listing: deep pages, not the same one each time. */
const DEEP_CURSORS = 20;
/**
 * Fewer connections than the main bench's 50: the machine's two cores are shared with Postgres
 * and the load generator, and queueing behind 50 connections would hide what a request costs.
 */
const SCALE_CONNECTIONS = 10;
const SETTLE_MS = 300;

/**
 * The scenarios of one fleet: (a) bearer vend and (b) returning password sign-in of the main
 * bench over users spread through the whole table, every list route (first and deep pages) and
 * one user's detail.
 */
export async function scaleScenarios(context: ScaleContext, users: number, sample: BenchUser[], operations: number): Promise<ScaleScenario[]> {
  const { service } = context;
  const admin = { 'x-api-key': context.adminKey };
  const deepUsers = Array.from({ length: DEEP_CURSORS }, (_, k) =>
    encodeCursor(scaleUsername(Math.floor(users / 2 + ((k + 0.5) * users) / 2 / DEEP_CURSORS))),
  );
  const deepOperations: string[] = [];
  for (let k = 0; k < DEEP_CURSORS; k++) {
    const key = await service.call<string | null>('scaleOperationKeyAt', Math.floor(operations / 2 + ((k + 0.5) * operations) / 2 / DEEP_CURSORS));
    if (key) deepOperations.push(encodeCursor(key));
  }
  const user = (n: number) => sample[n % sample.length]!;
  const route = (id: string, title: string, path: (n: number) => string): ScaleScenario => ({
    id,
    title,
    options: { path: '/', headers: admin, vary: (n) => ({ path: path(n) }) },
  });
  return [
    {
      id: 'a-bearer-vend',
      title: 'GET /v1/sessions/credentials (bearer vend, cache hits)',
      options: { path: '/v1/sessions/credentials', vary: (n) => ({ headers: { authorization: `Bearer ${user(n).idToken}` } }) },
    },
    {
      id: 'b-password-sign-in',
      title: 'POST /v1/sessions (returning password sign-in)',
      options: {
        method: 'POST',
        path: '/v1/sessions',
        vary: (n) => ({ body: JSON.stringify({ username: user(n).username, password: user(n).password }) }),
      },
    },
    route('l1-users-first-page', 'GET /v1/users, first page', () => '/v1/users?limit=25'),
    route('l2-users-deep-page', 'GET /v1/users, pages in the second half', (n) => `/v1/users?limit=25&cursor=${deepUsers[n % deepUsers.length]}`),
    route('l3-user-detail', 'GET /v1/users/{username}', (n) => `/v1/users/${user(n).username}`),
    route('l4-user-devices', "GET /v1/users/{username}/devices, a user's devices", (n) => `/v1/users/${user(n).username}/devices`),
    route(
      'l5-user-devices-next-page',
      "GET /v1/users/{username}/devices, a user's next page",
      (n) => `/v1/users/${user(n).username}/devices?limit=1&cursor=${encodeCursor(scaleDeviceName(0))}`,
    ),
    route('l6-operations-first-page', 'GET /v1/operations, first page', () => '/v1/operations?limit=25'),
    route(
      'l7-operations-deep-page',
      'GET /v1/operations, pages in the second half',
      (n) => `/v1/operations?limit=25&cursor=${deepOperations[n % deepOperations.length]}`,
    ),
    route(
      'l8-operations-status-filter',
      'GET /v1/operations?status=COMPLETED, pages in the second half',
      (n) => `/v1/operations?status=COMPLETED&limit=25&cursor=${deepOperations[n % deepOperations.length]}`,
    ),
  ];
}

/** One vend per sampled user, so the measured vends see the credential cache warm, as in the main bench. */
export async function warmCredentialCache(context: ScaleContext, sample: BenchUser[]): Promise<void> {
  await load({
    url: context.service.url,
    path: '/v1/sessions/credentials',
    connections: SCALE_CONNECTIONS,
    amount: sample.length,
    vary: (n) => ({ headers: { authorization: `Bearer ${sample[n % sample.length]!.idToken}` } }),
  });
}

/**
 * A warm-up, then a measured run; besides the service's CPU time per request, the database's
 * (the part that grows with the tables, if anything does) goes into `extra.databaseCpuMicrosPerRequest`.
 */
export async function measureScaled(context: ScaleContext, scenario: ScaleScenario): Promise<ScenarioResult> {
  const { service } = context;
  const shape = { ...scenario.options, url: service.url, connections: SCALE_CONNECTIONS };
  await load({ ...shape, seconds: context.warmupSeconds });
  await sleep(SETTLE_MS);
  await service.call('resetCalls');
  const cpuBefore = await service.call<number>('cpu');
  const databaseBefore = postgresCpuSample(context.postgresPidFile, context.databaseName);
  const result = await load({ ...shape, seconds: context.seconds });
  const cpu = (await service.call<number>('cpu')) - cpuBefore;
  const databaseCpu = postgresCpuMicrosBetween(databaseBefore, postgresCpuSample(context.postgresPidFile, context.databaseName));
  await sleep(SETTLE_MS);
  const { window } = await service.call<{ window: Record<string, number> }>('calls');
  const responses = Math.max(1, result.requests);
  return {
    id: scenario.id,
    title: scenario.title,
    awsLatencyMs: 0,
    load: result,
    serverCpuMicrosPerRequest: cpu / responses,
    awsCallsPerRequest: perRequest(window, result.sent),
    extra: { databaseCpuMicrosPerRequest: databaseCpu === null ? null : databaseCpu / responses },
  };
}

/** GET /v1/admin/drift once: how long, how much memory, how many AWS list calls. */
export async function driftReport(context: ScaleContext): Promise<DriftCost> {
  const { service } = context;
  await service.call('collectGarbage');
  await service.call('resetCalls');
  await service.call('takeRssPeak');
  const rssBeforeBytes = await service.call<number>('takeRssPeak');
  const started = performance.now();
  const { status, body } = await getLong(`${service.url}/v1/admin/drift`, { 'x-api-key': context.adminKey });
  const seconds = (performance.now() - started) / 1000;
  const peakRssBytes = await service.call<number>('takeRssPeak');
  const { window } = await service.call<{ window: Record<string, number> }>('calls');
  const report = JSON.parse(body) as Record<string, unknown>;
  const findings = Object.fromEntries(
    Object.entries(report)
      .filter(([, value]) => Array.isArray(value))
      .map(([key, value]) => [key, (value as unknown[]).length]),
  );
  return {
    seconds,
    status,
    peakRssBytes,
    rssBeforeBytes,
    awsCalls: window,
    findings,
    code: typeof report.code === 'string' ? report.code : undefined,
  };
}

/**
 * Real operations through the API (half user creations, half device registrations), and what
 * each table grew by, scaled to 1,000 operations. Dead row versions left by the operations' own
 * updates count until autovacuum reclaims them, as they would in production.
 */
export async function operationsGrowth(context: ScaleContext, label: string, sample: BenchUser[], operations: number): Promise<TableGrowth> {
  const { service, adminKey } = context;
  const before = await service.call<Record<string, TableSize>>('scaleTableSizes');
  const headers = { 'x-api-key': adminKey, 'content-type': 'application/json' };
  let next = 0;
  const worker = async () => {
    while (next < operations) {
      const n = next++;
      const request =
        n % 2 === 0
          ? { path: '/v1/users', body: { username: `growth-${label}-${n}`, temporaryPassword: 'Temp-Passw0rd!' } }
          : {
              // A key pair of its own: the service refuses a public key another device has.
              path: `/v1/users/${sample[n % sample.length]!.username}/devices`,
              body: { name: `growth-${label}-${n}`, csr: createTestCsr().csrPem },
            };
      const response = await fetch(service.url + request.path, { method: 'POST', headers, body: JSON.stringify(request.body) });
      if (response.status !== 201) throw new Error(`growth operation failed: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const after = await service.call<Record<string, TableSize>>('scaleTableSizes');
  const scale = 1000 / operations;
  return {
    operations,
    bytesPer1000: Object.fromEntries(TABLES.map((table) => [table, Math.round((after[table]!.bytes - before[table]!.bytes) * scale)])),
    rowsPer1000: Object.fromEntries(TABLES.map((table) => [table, Math.round((after[table]!.rows - before[table]!.rows) * scale)])),
  };
}

/** A GET without fetch's five-minute header timeout: a fleet-sized drift report may take longer. */
function getLong(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}
