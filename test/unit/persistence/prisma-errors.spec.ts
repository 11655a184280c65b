import { describe, expect, it } from 'vitest';
import { toDomainError } from '../../../src/common/errors/error-body.js';
import { isDatabaseUnavailable } from '../../../src/common/errors/database-unavailable.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../../src/persistence/prisma-errors.js';

/**
 * What Prisma 7 with the pg driver adapter throws when Postgres is away, as observed through
 * test/support/tcp-proxy.ts (outages.e2e.spec.ts): pg's own errors, passed through with a
 * clientVersion, or Prisma's codes. Each must become 503 DATABASE_UNAVAILABLE, never a 500.
 */
const pgError = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { clientVersion: '7.10.1', ...extra });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['connection refused', pgError('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
    ['connection cut mid-query', pgError('Connection terminated unexpectedly')],
    ['pool connect timeout (packets dropped on connect)', pgError('timeout exceeded when trying to connect')],
    ['query timeout (packets dropped on an open connection)', pgError('Query read timeout')],
    ['server shutting down', pgError('terminating connection due to administrator command', { code: '57P01' })],
    ['Prisma cannot reach the server', Object.assign(new Error("Can't reach database server"), { code: 'P1001' })],
    ['a driver adapter error wrapping a cause', Object.assign(new Error('wrapped'), { cause: { kind: 'DatabaseNotReachable' } })],
  ])('recognises %s, and it answers 503', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(toDomainError(error)).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503, retryAfterSeconds: expect.any(Number) });
  });

  it.each([
    ['a unique violation', Object.assign(new Error('Unique constraint failed'), { code: 'P2002' })],
    ['a syntax error', pgError('syntax error at or near "SELEC"', { code: '42601' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ])('leaves %s alone', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('tells unique and foreign-key violations apart', () => {
    expect(isUniqueViolation(Object.assign(new Error('x'), { code: 'P2002' }))).toBe(true);
    expect(isForeignKeyViolation(Object.assign(new Error('x'), { cause: { code: '23503' } }))).toBe(true);
    expect(isUniqueViolation(Object.assign(new Error('x'), { code: 'P2003' }))).toBe(false);
  });
});
