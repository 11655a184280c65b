import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Child } from './ipc.js';
import { mb, renderTable, summarise, type Target } from './report.js';
import { ceilings, CONNECTIONS, type BenchContext, type ScenarioResult } from './scenarios.js';

/**
 * npm run bench [-- --quick] [-- --latency=20]
 * The service and a plain Fastify server run in child processes; this process only generates load.
 * Prints one JSON document to stdout (also written to bench-results/latest.json) and a table to stderr.
 */

const RSS_LIMIT_MB = 250;

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, latency: { type: 'string' } } });
const quick = values.quick;
const latencies = values.latency !== undefined ? [Number(values.latency)] : quick ? [0] : [0, 20];
if (latencies.some((ms) => !Number.isInteger(ms) || ms < 0 || ms > 5000)) throw new Error('--latency must be whole milliseconds, 0-5000');

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const startedAt = new Date();
const adminKey = randomBytes(24).toString('hex');

progress('starting the service (Postgres, migrations, Nest) and the plain Fastify server');
const service = await Child.start(new URL('./server.js', import.meta.url), { BENCH_ADMIN_KEY: adminKey });
const plain = await Child.start(new URL('./plain-fastify.js', import.meta.url));

const context: BenchContext = { service, plain, seconds: quick ? 3 : 10, warmupSeconds: quick ? 1 : 2 };
const scenarios: ScenarioResult[] = [];
let peakRss: Record<string, number> = {};
let aws: Record<string, unknown> = {};
try {
  progress('(e) ceilings');
  scenarios.push(...(await ceilings(context)));
  for (const latencyMs of latencies) {
    await service.call('setLatency', latencyMs);
  }
  const calls = await service.call<{ total: Record<string, number> }>('calls');
  aws = { callsTotal: calls.total, jwksFetches: await service.call<number>('jwksRequests') };
  peakRss = { service: await service.call<number>('rss'), plainFastify: await plain.call<number>('rss') };
} finally {
  await Promise.all([service.stop(), plain.stop()]);
}

const targets: Target[] = [
  {
    id: 'peak-rss',
    description: `peak RSS of the service through all scenarios < ${RSS_LIMIT_MB} MB`,
    measured: mb(peakRss.service ?? 0),
    pass: mb(peakRss.service ?? 0) < RSS_LIMIT_MB,
  },
];

const document = {
  startedAt: startedAt.toISOString(),
  durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
  options: { quick, secondsPerScenario: context.seconds, warmupSeconds: context.warmupSeconds, connections: CONNECTIONS, awsLatenciesMs: latencies, database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded' },
  scenarios: scenarios.map(summarise),
  aws,
  peakRssMB: Object.fromEntries(Object.entries(peakRss).map(([name, bytes]) => [name, mb(bytes)])),
  targets,
  pass: targets.every((target) => target.pass),
};

await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/latest.json', `${JSON.stringify(document, null, 2)}\n`);
process.stderr.write(`\n${renderTable(scenarios, targets, peakRss)}`);
process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
if (!document.pass) process.exitCode = 1;
