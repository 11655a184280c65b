import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { CONTAINER_ENV, CONTAINER_NODE_OPTIONS } from './container.js';
import { Child } from './ipc.js';
import { mb, renderTable, summarise } from './report.js';
import { ceilings, CONNECTIONS, scrapeCost, type BenchContext, type ScenarioResult } from './scenarios.js';
import type { BenchUser } from './seed.js';
import { soak, type SoakResult } from './soak.js';
import { bearerVend, deviceRegistration, firstSignInStorm, passwordSignIn, type PassContext } from './service-scenarios.js';
import { evaluateTargets } from './targets.js';

/**
 * npm run bench [-- --quick] [-- --latency=20] [-- --profile] [-- --soak[=seconds]] [-- --node-options="--max-old-space-size=128"] [-- --node=<path>]
 * npm run bench -- --scale[=0.1]: fleet-sized scenarios, see bench/scale/scale-bench.ts
 * The service and a plain Fastify server run in child processes; this process only generates load.
 * Prints one JSON document to stdout (also written to bench-results/latest.json) and a table to stderr.
 */

const RETURNING_USERS = 1000;
const STORM_USERS = 200;
const SOAK_DEFAULT_SECONDS = 600;

// `--soak` alone means the default duration; parseArgs wants a value for a string option.
const argv = process.argv.slice(2).map((arg) => (arg === '--soak' ? `--soak=${SOAK_DEFAULT_SECONDS}` : arg));

// --scale[=factor] is its own run: a fleet-sized database and fakes, measured at two sizes (bench/scale).
if (process.argv.some((arg) => arg === '--scale' || arg.startsWith('--scale='))) {
  const { runScaleBench } = await import('./scale/scale-bench.js');
  process.exit(await runScaleBench(process.argv.slice(2)));
}

const { values } = parseArgs({
  args: argv,
  options: {
    quick: { type: 'boolean', default: false },
    latency: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'node-options': { type: 'string', default: CONTAINER_NODE_OPTIONS },
    soak: { type: 'string' },
    node: { type: 'string' },
  },
});
if (values.node !== undefined) process.env.BENCH_NODE = values.node;
const soakSeconds = values.soak === undefined ? undefined : Number(values.soak);
if (soakSeconds !== undefined && (!Number.isInteger(soakSeconds) || soakSeconds < 30)) throw new Error('--soak takes whole seconds, at least 30');
const quick = values.quick;
const latencies = values.latency !== undefined ? [Number(values.latency)] : quick ? [0] : [0, 20];
if (latencies.some((ms) => !Number.isInteger(ms) || ms < 0 || ms > 5000)) throw new Error('--latency must be whole milliseconds, 0-5000');

const progress = (message: string) =>
  process.stderr.write(`[bench] ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)}s ${message}\n`);
const startedAt = new Date();
// Other processes on the machine skew every figure; the load average is recorded with them.
const loadAtStart = os.loadavg().map((load) => Math.round(load * 100) / 100);
const adminKey = randomBytes(24).toString('hex');

progress('starting the service (Postgres, migrations, Nest) and the plain Fastify server');
// --profile writes a CPU profile of the service per measured window (open them in Chrome DevTools) to bench-results/profiles.
const profileDir = values.profile ? 'bench-results/profiles' : undefined;
if (profileDir) await mkdir(profileDir, { recursive: true });
const nodeOptions = values['node-options'].split(' ').filter(Boolean);
const service = await Child.start(new URL('./server.js', import.meta.url), { BENCH_ADMIN_KEY: adminKey, ...CONTAINER_ENV }, [
  '--expose-gc',
  ...nodeOptions,
]);
const plain = await Child.start(new URL('./plain-fastify.js', import.meta.url));

const context: BenchContext = { service, plain, seconds: quick ? 3 : 10, warmupSeconds: quick ? 1 : 2, scrapeMetrics: true, profileDir };
const scenarios: ScenarioResult[] = [];
let memory: Record<string, number> = {};
let aws: { callsTotal: Record<string, number>; jwksFetches: number } = { callsTotal: {}, jwksFetches: 0 };
let metricsScrapeCpuMicros = 0;
let soakResult: SoakResult | undefined;
try {
  await service.call('takeRssPeak');
  progress('(e) ceilings');
  scenarios.push(...(await ceilings(context)));
  metricsScrapeCpuMicros = await scrapeCost(context);
  const ceilingsRss = await service.call<number>('takeRssPeak');
  progress(`seeding ${RETURNING_USERS} returning users and ${STORM_USERS} new ones per pass`);
  const returning = await service.call<BenchUser[]>('seedUsers', { prefix: 'r', count: RETURNING_USERS, signedIn: true });
  const fresh = new Map<number, BenchUser[]>();
  for (const latencyMs of latencies)
    fresh.set(latencyMs, await service.call<BenchUser[]>('seedUsers', { prefix: `f${latencyMs}-`, count: STORM_USERS, signedIn: false }));
  // Seeding ran inside the service process; its garbage is not the scenarios' memory.
  await service.call('collectGarbage');
  await service.call('takeRssPeak');
  for (const latencyMs of latencies) {
    await service.call('setLatency', latencyMs);
    const pass: PassContext = { ...context, latencyMs, adminKey, returning };
    progress(`AWS latency ${latencyMs} ms: (a) bearer credential vend`);
    scenarios.push(await bearerVend(pass));
    progress(`AWS latency ${latencyMs} ms: (b) password sign-in`);
    scenarios.push(await passwordSignIn(pass));
    progress(`AWS latency ${latencyMs} ms: (c) ${STORM_USERS} first sign-ins at once`);
    scenarios.push(await firstSignInStorm(pass, fresh.get(latencyMs)!));
    progress(`AWS latency ${latencyMs} ms: (d) device registration`);
    scenarios.push(await deviceRegistration(pass));
    await service.call('setLatency', 0);
  }
  const scenariosRss = await service.call<number>('takeRssPeak');
  if (soakSeconds !== undefined) {
    progress(`soak: ${soakSeconds} s of bearer vends and password sign-ins, RSS sampled every second`);
    soakResult = await soak(context, returning, soakSeconds);
  }
  const calls = await service.call<{ total: Record<string, number> }>('calls');
  aws = { callsTotal: calls.total, jwksFetches: await service.call<number>('jwksRequests') };
  memory = {
    serviceDuringScenarios: Math.max(ceilingsRss, scenariosRss),
    serviceLifetimeWithSetup: await service.call<number>('rss'),
    serviceLiveHeapAtEnd: await service.call<number>('liveHeap'),
    plainFastify: await plain.call<number>('rss'),
  };
} finally {
  await Promise.all([service.stop(), plain.stop()]);
}

const targets = evaluateTargets(scenarios, aws, memory.serviceDuringScenarios ?? 0, { metricsScrapeCpuMicros, soak: soakResult });
const document = {
  startedAt: startedAt.toISOString(),
  durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: os.loadavg().map((load) => Math.round(load * 100) / 100),
    // The servers' Node, which --node may set apart from this process's.
    node: values.node === undefined ? process.version : execFileSync(values.node, ['--version'], { encoding: 'utf8' }).trim(),
    platform: `${process.platform}-${process.arch}`,
  },
  options: {
    quick,
    secondsPerScenario: context.seconds,
    warmupSeconds: context.warmupSeconds,
    connections: CONNECTIONS,
    awsLatenciesMs: latencies,
    database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
    credentialCache: process.env.CREDENTIAL_CACHE_ENABLED ?? 'true',
    serviceNodeOptions: nodeOptions,
    serviceEnv: CONTAINER_ENV,
    soakSeconds: soakSeconds ?? null,
  },
  metricsScrapeCpuMicros: Math.round(metricsScrapeCpuMicros),
  soak: soakResult ?? null,
  scenarios: scenarios.map(summarise),
  aws,
  memoryMB: Object.fromEntries(Object.entries(memory).map(([name, bytes]) => [name, mb(bytes)])),
  targets,
  pass: targets.every((target) => target.pass),
};

await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/latest.json', `${JSON.stringify(document, null, 2)}\n`);
process.stderr.write(`\n${renderTable(scenarios, targets, memory)}`);
process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
if (!document.pass) process.exitCode = 1;
