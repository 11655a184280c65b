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
 * Also refuses, in any path parameter, query value or body string (keys included), what no field
 * of this API needs and what breaks further in: U+0000, which PostgreSQL text cannot hold (a
 * database error, so a 500), and lone UTF-16 surrogates, which are not text at all (validator's
 * isEmail throws on them; UTF-8 encoding would silently turn them into U+FFFD).
 */
class EdgeValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const field = fieldWithBadText(value, metadata.type === 'param' ? (metadata.data ?? 'path') : '');
      if (field !== undefined) {
        throw new DomainError('VALIDATION_FAILED', `Invalid request: ${field || 'body'} must be Unicode text without NUL characters`, { field });
      }
    }
    return super.transform(value, metadata);
  }
}

const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (value or key) with U+0000 or a lone surrogate; iterative, so any depth is safe. */
function fieldWithBadText(value: unknown, root: string): string | undefined {
  const pending: Array<[unknown, string]> = [[value, root]];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      if (BAD_TEXT.test(current)) return path;
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = path ? `${path}.${key}` : key;
        if (BAD_TEXT.test(key)) return childPath;
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
