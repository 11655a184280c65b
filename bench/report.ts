import type { ScenarioResult } from './scenarios.js';
import type { Target } from './targets.js';

const MB = 1024 * 1024;

export function mb(bytes: number): number {
  return Math.round((bytes / MB) * 10) / 10;
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function callsText(calls: Record<string, number>): string {
  const entries = Object.entries(calls).filter(([, perRequest]) => perRequest > 0);
  return entries.length === 0 ? '0' : entries.map(([api, perRequest]) => `${api} ${round(perRequest, 3)}`).join(', ');
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ');
}

/** The human-readable summary, written to stderr so stdout holds only the JSON document. */
export function renderTable(scenarios: ScenarioResult[], targets: Target[], memory: Record<string, number>): string {
  const header = [
    'scenario',
    'aws ms',
    'req/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'cpu us/req',
    'main us/req',
    'fakes us/req',
    'queries/req',
    'non-2xx',
    'sock err',
    'AWS calls / request',
  ];
  const rows = scenarios.map((s) => [
    s.id,
    s.awsLatencyMs === null ? '-' : String(s.awsLatencyMs),
    String(Math.round(s.load.rps)),
    String(round(s.load.latencyMs.p50, 1)),
    String(round(s.load.latencyMs.p99, 1)),
    String(round(s.load.latencyMs.max, 1)),
    String(Math.round(s.serverCpuMicrosPerRequest)),
    s.serverMainThreadCpuMicrosPerRequest === undefined ? '-' : String(Math.round(s.serverMainThreadCpuMicrosPerRequest)),
    s.fakesCpuMicrosPerRequest === undefined ? '-' : String(Math.round(s.fakesCpuMicrosPerRequest)),
    s.queriesPerRequest === undefined ? '-' : String(round(s.queriesPerRequest, 1)),
    String(s.load.non2xx),
    String(s.load.socketErrors),
    callsText(s.awsCallsPerRequest),
  ]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const lines = [pad(header, widths), ...rows.map((row) => pad(row, widths))];
  for (const s of scenarios) {
    if (s.extra && Object.keys(s.extra).length > 0) lines.push(`  ${s.id}: ${JSON.stringify(s.extra)}`);
  }
  lines.push(
    '',
    `memory: ${Object.entries(memory)
      .map(([name, bytes]) => `${name} ${mb(bytes)} MB`)
      .join(', ')}`,
    '',
  );
  for (const target of targets) {
    const measured = typeof target.measured === 'number' ? round(target.measured) : String(target.measured);
    lines.push(`${target.pass ? 'PASS' : 'FAIL'}  ${target.description}: ${measured}${target.note ? ` (${target.note})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export function summarise(result: ScenarioResult): ScenarioResult {
  return {
    ...result,
    load: {
      ...result.load,
      rps: round(result.load.rps, 1),
      seconds: round(result.load.seconds, 2),
      latencyMs: { p50: round(result.load.latencyMs.p50), p99: round(result.load.latencyMs.p99), max: round(result.load.latencyMs.max) },
    },
    serverCpuMicrosPerRequest: Math.round(result.serverCpuMicrosPerRequest),
    ...(result.serverMainThreadCpuMicrosPerRequest === undefined
      ? {}
      : { serverMainThreadCpuMicrosPerRequest: Math.round(result.serverMainThreadCpuMicrosPerRequest) }),
    ...(result.fakesCpuMicrosPerRequest === undefined ? {} : { fakesCpuMicrosPerRequest: Math.round(result.fakesCpuMicrosPerRequest) }),
    ...(result.queriesPerRequest === undefined ? {} : { queriesPerRequest: round(result.queriesPerRequest, 2) }),
    awsCallsPerRequest: Object.fromEntries(Object.entries(result.awsCallsPerRequest).map(([api, value]) => [api, round(value, 4)])),
  };
}
