import { DomainError } from '../common/errors/domain-error.js';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P03', '08006', '08001']);
const CONNECTION_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

function codesOf(error: unknown): string[] {
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

/** P2002: a unique constraint decided the race; the caller names what conflicted. */
export function isUniqueViolation(error: unknown): boolean {
  return codesOf(error).some((code) => code === 'P2002' || code === '23505');
}

/** P2003: the row a foreign key points at is gone (e.g. the owner was deleted meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  return codesOf(error).some((code) => code === 'P2003' || code === '23503');
}

/** P2025: the row to update or delete does not exist. */
export function isRecordNotFound(error: unknown): boolean {
  return codesOf(error).includes('P2025');
}

export function databaseUnavailable(): DomainError {
  return new DomainError('DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly', undefined, 2);
}
