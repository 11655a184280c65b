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
 * database error, so a 500), lone UTF-16 surrogates, which are not text at all (validator's
 * isEmail throws on them; UTF-8 encoding would silently turn them into U+FFFD), and bidirectional
 * control characters, which make text display differently from what it is (an email shown as
 * another address in a console or a log viewer: the "Trojan Source" trick).
 */
class EdgeValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const found = fieldWithBadText(value, metadata.type === 'param' ? (metadata.data ?? 'path') : '');
      if (found !== undefined) {
        throw new DomainError('VALIDATION_FAILED', `Invalid request: ${found.field || 'body'} must be ${found.rule}`, { field: found.field });
      }
    }
    return super.transform(value, metadata);
  }
}

/** Checked in order on every string the request carries: what the text must be, and what breaks it. */
const TEXT_RULES: Array<[rule: string, pattern: RegExp]> = [
  ['Unicode text without NUL characters', /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/],
  // ALM, LRM, RLM, the embeddings and overrides LRE RLE PDF LRO RLO, the isolates LRI RLI FSI PDI.
  [
    'text without bidirectional control characters (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069)',
    /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/,
  ],
];

const ruleBrokenBy = (text: string): string | undefined => TEXT_RULES.find(([, pattern]) => pattern.test(text))?.[0];

/** The path of the first string (value or key) that breaks a text rule, and the rule; iterative, so any depth is safe. */
function fieldWithBadText(value: unknown, root: string): { field: string; rule: string } | undefined {
  const pending: Array<[unknown, string]> = [[value, root]];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      const rule = ruleBrokenBy(current);
      if (rule) return { field: path, rule };
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = path ? `${path}.${key}` : key;
        const rule = ruleBrokenBy(key);
        if (rule) return { field: childPath, rule };
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
