import { codesOf } from '../common/errors/database-unavailable.js';

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
