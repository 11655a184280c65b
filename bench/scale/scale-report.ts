import { mb } from '../report.js';
import type { ScenarioResult } from '../scenarios.js';
import type { Target } from '../targets.js';
import type { DriftCost, TableGrowth } from './scale-scenarios.js';
import type { TableSize } from './scale-seed.js';

export interface SizeResult {
  label: 'small' | 'large';
  users: number;
  devices: number;
  tables: Record<string, TableSize>;
  scenarios: ScenarioResult[];
  drift: DriftCost;
  growth: TableGrowth;
}

/** The bound for "flat": the fleet-sized cost within this factor of the cost at a tenth of the fleet. */
export const FLAT = 1.2;
/** What a drift report may add to the service's RSS at full size beyond what it adds at a tenth (page buffers, findings). */
export const DRIFT_GROWTH_SLACK_MB = 64;

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const ratio = (large: number, small: number) => (small > 0 ? large / small : large > 0 ? Infinity : 1);
const listCalls = (calls: Record<string, number>) => Object.fromEntries(Object.entries(calls).filter(([api]) => api.startsWith('List')));
const sum = (calls: Record<string, number>) => Object.values(calls).reduce((total, count) => total + count, 0);

/** The service's and the database's CPU time per request: what a request costs, whatever else the machine runs. */
export function costPerRequest(scenario: ScenarioResult): number {
  const database = (scenario.extra?.databaseCpuMicrosPerRequest as number | null | undefined) ?? 0;
  return scenario.serverCpuMicrosPerRequest + database;
}

/**
 * Per scenario: flat when the CPU time per request (service plus database) at full size is
 * within FLAT of the small size's. On a shared two-core machine requests/s and p99 swing with
 * the neighbours' load, so they are reported beside it but do not decide.
 */
export function scaleTargets(sizes: SizeResult[]): Target[] {
  const [small, large] = sizes;
  if (!small || !large) return [{ id: 'scale-sizes', description: 'both sizes measured', measured: sizes.length, pass: false }];
  const targets: Target[] = [];
  for (const scenario of large.scenarios) {
    const before = small.scenarios.find((s) => s.id === scenario.id);
    if (!before) continue;
    const cost = ratio(costPerRequest(scenario), costPerRequest(before));
    const p99 = ratio(scenario.load.latencyMs.p99, before.load.latencyMs.p99);
    const errors = scenario.load.non2xx + scenario.load.socketErrors + before.load.non2xx + before.load.socketErrors;
    targets.push({
      id: `flat-${scenario.id}`,
      description: `${scenario.title}: CPU per request (service + database) at ${large.users} users within ${FLAT}x of ${small.users} users`,
      measured: round(cost),
      pass: cost <= FLAT && errors === 0,
      note: `${Math.round(costPerRequest(before))} -> ${Math.round(costPerRequest(scenario))} us; p99 ${round(p99)}x, req/s ${round(ratio(scenario.load.rps, before.load.rps))}x${errors ? `, ${errors} errors` : ''}`,
    });
  }
  // Besides the peak, what the report itself adds while it runs: the figure that says whether the scan holds the
  // fleet in memory, apart from what the scenarios before it left in the process (caches, heap V8 kept).
  const growth = (size: SizeResult) => Math.max(0, size.drift.peakRssBytes - size.drift.rssBeforeBytes);
  targets.push({
    id: 'drift-rss-growth',
    description: `drift report: RSS growth while it runs at ${large.users} users at most ${DRIFT_GROWTH_SLACK_MB} MB above that at ${small.users} users`,
    measured: mb(growth(large)),
    pass: growth(large) <= growth(small) + DRIFT_GROWTH_SLACK_MB * 2 ** 20 && large.drift.status === 200 && small.drift.status === 200,
    note: `${mb(growth(small))} -> ${mb(growth(large))} MB`,
  });
  const rss = ratio(large.drift.peakRssBytes, small.drift.peakRssBytes);
  targets.push({
    id: 'drift-rss',
    description: `drift report peak RSS at ${large.users} users within ${FLAT}x of ${small.users} users`,
    measured: round(rss),
    pass: rss <= FLAT && large.drift.status === 200 && small.drift.status === 200,
    note: `${mb(large.drift.peakRssBytes)} vs ${mb(small.drift.peakRssBytes)} MB (the service's process; the AWS fakes run in their own); status ${small.drift.status}/${large.drift.status}${large.drift.code ? ` ${large.drift.code}` : ''}`,
  });
  return targets;
}

export function renderScaleTable(sizes: SizeResult[], targets: Target[]): string {
  const [small, large] = sizes;
  if (!small || !large) return 'scale run incomplete\n';
  const header = [
    'scenario',
    'req/s small',
    'req/s large',
    'ratio',
    'p99 small',
    'p99 large',
    'ratio',
    'svc+db us small',
    'svc+db us large',
    'ratio',
  ];
  const rows = large.scenarios.map((scenario) => {
    const before = small.scenarios.find((s) => s.id === scenario.id)!;
    return [
      scenario.id,
      String(Math.round(before.load.rps)),
      String(Math.round(scenario.load.rps)),
      String(round(ratio(scenario.load.rps, before.load.rps))),
      String(round(before.load.latencyMs.p99, 1)),
      String(round(scenario.load.latencyMs.p99, 1)),
      String(round(ratio(scenario.load.latencyMs.p99, before.load.latencyMs.p99))),
      `${Math.round(before.serverCpuMicrosPerRequest)}+${Math.round(costPerRequest(before) - before.serverCpuMicrosPerRequest)}`,
      `${Math.round(scenario.serverCpuMicrosPerRequest)}+${Math.round(costPerRequest(scenario) - scenario.serverCpuMicrosPerRequest)}`,
      String(round(ratio(costPerRequest(scenario), costPerRequest(before)))),
    ];
  });
  const driftRow = (name: string, pick: (size: SizeResult) => number, unit = '') => [
    name,
    `${round(pick(small), 1)}${unit}`,
    `${round(pick(large), 1)}${unit}`,
    String(round(ratio(pick(large), pick(small)))),
  ];
  const lines = [
    `fleet: small ${small.users} users / ${small.devices} devices, large ${large.users} users / ${large.devices} devices`,
    '',
    table(header, rows),
    '',
    table(
      ['drift report', 'small', 'large', 'ratio'],
      [
        driftRow('seconds', (s) => s.drift.seconds),
        driftRow('peak RSS MB', (s) => mb(s.drift.peakRssBytes)),
        driftRow('RSS growth during report MB', (s) => mb(Math.max(0, s.drift.peakRssBytes - s.drift.rssBeforeBytes))),
        driftRow('AWS List calls', (s) => sum(listCalls(s.drift.awsCalls))),
        ...Object.keys(listCalls(large.drift.awsCalls)).map((api) => driftRow(`  ${api}`, (s) => s.drift.awsCalls[api] ?? 0)),
      ],
    ),
    '',
    table(
      ['per 1,000 operations', 'bytes small', 'bytes large', 'ratio', 'rows small', 'rows large'],
      Object.keys(large.growth.bytesPer1000).map((name) => [
        name,
        String(small.growth.bytesPer1000[name]),
        String(large.growth.bytesPer1000[name]),
        String(round(ratio(large.growth.bytesPer1000[name]!, small.growth.bytesPer1000[name]!))),
        String(small.growth.rowsPer1000[name]),
        String(large.growth.rowsPer1000[name]),
      ]),
    ),
    '',
    `operations table at ${large.tables.operations!.rows} rows: ${mb(large.tables.operations!.bytes)} MB, ${mb((large.tables.operations!.bytes / Math.max(1, large.tables.operations!.rows)) * 1e6)} MB per million operations`,
    '',
    ...targets.map(
      (target) => `${target.pass ? 'PASS' : 'FAIL'}  ${target.description}: ${target.measured}${target.note ? ` (${target.note})` : ''}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const pad = (cells: string[]) => cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ');
  return [pad(header), ...rows.map(pad)].join('\n');
}
