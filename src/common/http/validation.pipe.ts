import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { DomainError } from '../errors/domain-error.js';

function flatten(errors: ValidationError[], parent = ''): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Also refuses U+0000 in any path parameter, query value or body string: PostgreSQL text cannot
 * hold it, so it would otherwise fail as a database error (a 500), and no field of this API needs it.
 */
class EdgeValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const field = fieldWithNul(value, metadata.type === 'param' ? (metadata.data ?? 'path') : '');
      if (field !== undefined) {
        throw new DomainError('VALIDATION_FAILED', `Invalid request: ${field || 'body'} must not contain the NUL character (U+0000)`, { field });
      }
    }
    return super.transform(value, metadata);
  }
}

/** The path of the first string (value or key) containing U+0000; iterative, so any depth is safe. */
function fieldWithNul(value: unknown, root: string): string | undefined {
  const pending: Array<[unknown, string]> = [[value, root]];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path;
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return childPath;
        pending.push([child, childPath]);
      }
    }
  }
  return undefined;
}

/** DTO validation at the edge: unknown fields are refused, and every problem is named. */
export function createValidationPipe(): ValidationPipe {
  return new EdgeValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      const summary = fields.map((entry) => `${entry.field}: ${entry.problems.join('; ')}`).join(' | ');
      return new DomainError('VALIDATION_FAILED', `Invalid request: ${summary}`, { fields });
    },
  });
}
