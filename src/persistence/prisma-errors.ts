import { codesOf } from '../common/errors/database-unavailable.js';

/** P2002: a unique constraint decided the race; the caller names what conflicted. With `column`, only a violation that names that column. */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  if (!codesOf(error).some((code) => code === 'P2002' || code === '23505')) return false;
  return column === undefined || describedText(error).includes(column);
}

/** Messages and metadata of an error and its causes, where Prisma and pg name the constraint or its fields. */
function describedText(error: unknown): string {
  const parts: string[] = [];
  for (
    let current = error, depth = 0;
    current && typeof current === 'object' && depth < 5;
    current = (current as { cause?: unknown }).cause, depth++
  ) {
    const record = current as { message?: unknown; meta?: unknown; constraint?: unknown; detail?: unknown };
    for (const value of [record.message, record.constraint, record.detail]) if (typeof value === 'string') parts.push(value);
    if (record.meta !== undefined) parts.push(JSON.stringify(record.meta));
  }
  return parts.join(' ');
}

/** P2003: the row a foreign key points at is gone (e.g. the owner was deleted meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  return codesOf(error).some((code) => code === 'P2003' || code === '23503');
}

/** P2025: the row to update or delete does not exist. */
export function isRecordNotFound(error: unknown): boolean {
  return codesOf(error).includes('P2025');
}
