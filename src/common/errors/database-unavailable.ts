import { DomainError } from './domain-error.js';

// Beside the error vocabulary rather than in persistence/: turning any error into a DomainError needs it.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P03', '08006', '08001']);
const CONNECTION_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/** Error codes along the cause chain (pg, Prisma and Node put them in different fields). */
export function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const record = current as { code?: unknown; cause?: unknown; originalCode?: unknown; kind?: unknown };
    for (const value of [record.code, record.originalCode, record.kind]) if (typeof value === 'string') codes.push(value);
    current = record.cause;
  }
  return codes;
}

/** True when the error says the database could not be reached, rather than that a query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return (
    codesOf(error).some((code) => CONNECTION_CODES.has(code) || CONNECTION_PRISMA_CODES.has(code) || code === 'DatabaseNotReachable') ||
    /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connect ECONNREFUSED|Can't reach database/i.test(message)
  );
}

export function databaseUnavailable(): DomainError {
  return new DomainError('DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly', undefined, 2);
}
