import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { createTestCsr } from '../../test/support/csr.js';
import { CONTAINER_ENV, CONTAINER_NODE_OPTIONS } from '../container.js';
import { Child } from '../ipc.js';
import { mb } from '../report.js';
import type { ScenarioResult } from '../scenarios.js';
import type { BenchUser } from '../seed.js';
import { startEmbeddedPostgres } from '../../src/persistence/embedded-postgres.js';
import { costPerRequest, renderScaleTable, scaleTargets, type SizeResult } from './scale-report.js';
import {
  driftReport,
  measureScaled,
  operationsGrowth,
  scaleScenarios,
  warmCredentialCache,
  type ScaleContext,
  type ScaleScenario,
} from './scale-scenarios.js';
import { scaleUsername, type TableSize } from './scale-seed.js';

/**
 * npm run bench -- --scale[=factor] [--seconds=5]
 * Two services, each with its own database and AWS fakes on one Postgres: one seeded with a
 * tenth of the fleet, one with the whole fleet (100,000 users with 3 devices each, times the
 * factor). Every scenario is measured on one, then on the other, twice over, and the cheaper run
 * of each counts: the machine's load from other work then falls on both sizes alike. Prints the
 * large/small ratio of each figure; flat is the goal. The JSON document goes to stdout and
 * bench-results/scale.json, the table to stderr.
 */

const FULL_USERS = 100_000;
/** Users loaded per IPC call: one call must stay well inside the IPC timeout. */
const SEED_CHUNK = 5_000;
/** Users whose sessions the sign-in and vend scenarios use, spread evenly over the whole table. */
const SAMPLE = 500;
/** Operations run through the API at each size to measure table growth. */
const GROWTH_OPERATIONS = 300;
/** Rounds of every scenario on both sizes; the cheaper of each scenario's runs is reported. */
const ROUNDS = 2;
/** bench/database.ts's embedded server, started here so that both services share it. */
const EMBEDDED_DIR = '.data/bench-postgres';

interface Fleet {
  label: 'small' | 'large';
  users: number;
  context: ScaleContext;
  sample: BenchUser[];
  scenarios: ScaleScenario[];
  tables: Record<string, TableSize>;
  results: Map<string, ScenarioResult>;
}

export async function runScaleBench(argv: string[]): Promise<number> {
  const factorArg = argv.find((arg) => arg === '--scale' || arg.startsWith('--scale='))!;
  const factor = factorArg === '--scale' ? 1 : Number(factorArg.slice('--scale='.length));
  if (!(factor > 0 && factor <= 1)) throw new Error('--scale=<factor> must be a number above 0 and at most 1');
  const secondsArg = argv.find((arg) => arg.startsWith('--seconds='));
  const seconds = secondsArg ? Number(secondsArg.slice('--seconds='.length)) : 5;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) throw new Error('--seconds must be whole seconds, 1-60');

  const startedAt = new Date();
  const progress = (message: string) =>
    process.stderr.write(`[scale] ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)}s ${message}\n`);
  const loadAtStart = os.loadavg().map((load) => Math.round(load * 100) / 100);
  const adminKey = randomBytes(24).toString('hex');
  const largeUsers = Math.max(20, Math.round(FULL_USERS * factor));
  const sizesOf = { small: Math.round(largeUsers / 10), large: largeUsers };
  const csrs = Array.from({ length: 16 }, () => createTestCsr().csrPem);

  progress('starting Postgres and two services (migrations, Nest)');
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dir: EMBEDDED_DIR, port: Number(process.env.BENCH_PG_PORT ?? 54331) });
  const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
  const services: Child[] = [];
  const fleets: Fleet[] = [];
  let seedSeconds = 0;
  try {
    for (const label of ['small', 'large'] as const) {
      const service = await Child.start(
        new URL('../server.js', import.meta.url),
        { BENCH_ADMIN_KEY: adminKey, BENCH_IOT_PAGE_SIZE: '250', DATABASE_URL: serverUrl, ...CONTAINER_ENV },
        // The service runs as it ships; the whole fleet's state is the fakes', in their own process.
        ['--expose-gc', ...CONTAINER_NODE_OPTIONS.split(' ')],
      );
      services.push(service);
      const context: ScaleContext = {
        service,
        plain: service,
        seconds,
        warmupSeconds: 2,
        adminKey,
        csrs,
        postgresPidFile: embedded ? `${EMBEDDED_DIR}/postmaster.pid` : undefined,
        databaseName: await service.call<string>('scaleDatabaseName'),
      };
      progress(`${label}: one operation of each kind the fleet is made of, as templates for the bulk rows`);
      const templates = await runTemplates(context);
      progress(
        `${label}: templates ${JSON.stringify(templates)}; seeding ${sizesOf[label]} users and 3 devices, certificates, policies and operations each`,
      );
      const seedStarted = performance.now();
      for (let from = 0; from < sizesOf[label]; from += SEED_CHUNK) {
        await service.call('scaleSeed', { from, to: Math.min(sizesOf[label], from + SEED_CHUNK) });
        if (from % (SEED_CHUNK * 4) === 0) progress(`  ... ${Math.min(sizesOf[label], from + SEED_CHUNK)} users`);
      }
      await service.call('scaleAnalyze');
      await service.call('collectGarbage');
      seedSeconds += (performance.now() - seedStarted) / 1000;
      const users = sizesOf[label];
      const names = Array.from({ length: Math.min(SAMPLE, users) }, (_, k) =>
        scaleUsername(Math.floor(((k + 0.5) * users) / Math.min(SAMPLE, users))),
      );
      const sample = await service.call<BenchUser[]>('scaleSessions', names);
      const tables = await service.call<Record<string, TableSize>>('scaleTableSizes');
      const scenarios = await scaleScenarios(context, users, sample, tables.operations!.rows);
      fleets.push({ label, users, context, sample, scenarios, tables, results: new Map() });
    }

    progress('warming up every scenario once on both fleets');
    for (const fleet of fleets) {
      await warmCredentialCache(fleet.context, fleet.sample);
      for (const scenario of fleet.scenarios) await measureScaled({ ...fleet.context, seconds: 1, warmupSeconds: 1 }, scenario);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (let index = 0; index < fleets[0]!.scenarios.length; index++) {
        for (const fleet of round % 2 === 1 ? fleets : [...fleets].reverse()) {
          const scenario = fleet.scenarios[index]!;
          progress(`round ${round}, ${fleet.label}: ${scenario.title}`);
          const result = await measureScaled(fleet.context, scenario);
          const kept = fleet.results.get(scenario.id);
          if (!kept || costPerRequest(result) < costPerRequest(kept)) fleet.results.set(scenario.id, result);
        }
      }
    }
    const sizes: SizeResult[] = [];
    for (const fleet of fleets) {
      progress(`${fleet.label}: drift report`);
      const drift = await driftReport(fleet.context);
      progress(
        `${fleet.label}: drift took ${drift.seconds.toFixed(1)} s, peak RSS ${mb(drift.peakRssBytes)} MB; table growth over ${GROWTH_OPERATIONS} operations`,
      );
      const growth = await operationsGrowth(fleet.context, fleet.label, fleet.sample, GROWTH_OPERATIONS);
      sizes.push({
        label: fleet.label,
        users: fleet.users,
        devices: fleet.tables.devices!.rows,
        tables: fleet.tables,
        scenarios: [...fleet.results.values()],
        drift,
        growth,
      });
      await fleet.context.service.call('scaleClose');
    }

    const targets = scaleTargets(sizes);
    const document = {
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      seedSeconds: Math.round(seedSeconds),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGB: Math.round(os.totalmem() / 2 ** 30),
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: os.loadavg().map((load) => Math.round(load * 100) / 100),
        node: process.version,
      },
      options: {
        factor,
        secondsPerScenario: seconds,
        rounds: ROUNDS,
        sampleUsers: SAMPLE,
        growthOperations: GROWTH_OPERATIONS,
        database: embedded ? 'embedded' : 'DATABASE_URL',
      },
      sizes,
      targets,
      pass: targets.every((target) => target.pass),
    };
    await mkdir('bench-results', { recursive: true });
    await writeFile('bench-results/scale.json', `${JSON.stringify(document, null, 2)}\n`);
    process.stderr.write(`\n${renderScaleTable(sizes, targets)}`);
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return document.pass ? 0 : 1;
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await embedded?.stop();
  }
}

/** One user created by an admin, one first sign-in, one device registration: real rows to copy. */
async function runTemplates(context: ScaleContext): Promise<unknown> {
  const { service, adminKey } = context;
  const admin = { 'x-api-key': adminKey, 'content-type': 'application/json' };
  const expectOk = async (response: Promise<Response>) => {
    const answer = await response;
    if (answer.status >= 300) throw new Error(`template request failed: ${answer.status} ${await answer.text()}`);
  };
  await expectOk(
    fetch(`${service.url}/v1/users`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ username: 'template-admin-user', temporaryPassword: 'Temp-Passw0rd!' }),
    }),
  );
  const [user] = await service.call<BenchUser[]>('seedUsers', { prefix: 'template-', count: 1, signedIn: false });
  await expectOk(
    fetch(`${service.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user!.username, password: user!.password }),
    }),
  );
  await expectOk(
    fetch(`${service.url}/v1/users/${user!.username}/devices`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'template-device', csr: context.csrs[0] }),
    }),
  );
  return service.call('scaleTemplates');
}
