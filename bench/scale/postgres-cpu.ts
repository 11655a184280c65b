import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second (getconf CLK_TCK), the unit of /proc/<pid>/stat's CPU times. */
const TICKS_PER_SECOND = 100;

/**
 * CPU ticks of each client backend of one database on the embedded Postgres whose postmaster.pid
 * is `pidFile`, by pid:
 * table size shows up in the database's work per query, which the service's own CPU time leaves
 * out. Background processes (checkpointer, autovacuum, WAL writer) are left out: they work off
 * the seeding, not the requests. Undefined off Linux or for a server this machine does not run.
 */
export function postgresCpuSample(pidFile: string | undefined, database: string): Map<number, number> | undefined {
  if (!pidFile) return undefined;
  try {
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const sample = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = statFields(entry);
      if (!fields || Number(fields[1]) !== postmaster || !isBackendOf(entry, database)) continue;
      sample.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    }
    return sample;
  } catch {
    return undefined;
  }
}

/**
 * Microseconds of CPU the backends used between two samples. A backend that exited in between
 * (an idle pool connection closing) takes its time with it: the figure can only err low.
 */
export function postgresCpuMicrosBetween(before: Map<number, number> | undefined, after: Map<number, number> | undefined): number | null {
  if (!before || !after) return null;
  let ticks = 0;
  for (const [pid, used] of after) ticks += used - (before.get(pid) ?? 0);
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

/** A backend's title is `postgres: <user> <database> <client> <state>`; autovacuum workers name the database too. */
function isBackendOf(pid: string, database: string): boolean {
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return title.includes(` ${database} `) && !title.includes('autovacuum');
  } catch {
    return false;
  }
}

/** /proc/<pid>/stat after the command name (which may hold spaces): state, ppid, ... */
function statFields(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
