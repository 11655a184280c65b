import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CENSOR, censorSecrets, REDACT_PATHS } from '../../../../src/common/logging/redact.js';

/** One JSON line per call, without the fields that differ between loggers. */
function lineOf(options: pino.LoggerOptions, object: Record<string, unknown>): unknown {
  const lines: string[] = [];
  const logger = pino({ ...options, base: undefined, timestamp: false }, { write: (line: string) => void lines.push(line) });
  logger.info(object, 'message');
  return JSON.parse(lines[0]!);
}

describe('censorSecrets', () => {
  it('censors secret fields on the first three levels and leaves the rest alone', () => {
    const line = { password: 'p', user: { name: 'alice', idToken: 't' }, a: { b: { sessionToken: 's', c: { token: 'deep' } } }, count: 3 };
    expect(censorSecrets(line)).toEqual({
      password: CENSOR,
      user: { name: 'alice', idToken: CENSOR },
      a: { b: { sessionToken: CENSOR, c: { token: 'deep' } } },
      count: 3,
    });
  });

  it("copies only what it changes, never the caller's object", () => {
    const untouched = { id: 1, nested: { ok: true } };
    const line = { untouched, secret: { credentials: { accessKeyId: 'AKIA' } } };
    const censored = censorSecrets(line);
    expect(censored.untouched).toBe(untouched);
    expect(line.secret.credentials).toEqual({ accessKeyId: 'AKIA' });
    expect(censorSecrets(untouched)).toBe(untouched);
  });

  it('searches errors and arrays and keeps errors errors', () => {
    const error = Object.assign(new Error('boom'), { details: { refreshToken: 'r' } });
    const censored = censorSecrets({ err: error, items: [{ privateKey: 'k' }] });
    expect(censored.err).toBeInstanceOf(Error);
    expect(censored.err.message).toBe('boom');
    expect(censored.err.details).toEqual({ refreshToken: CENSOR });
    expect(error.details.refreshToken).toBe('r');
    expect(censored.items).toEqual([{ privateKey: CENSOR }]);
  });

  it('handles frozen objects and class instances', () => {
    class SignInDto {
      constructor(
        readonly username: string,
        readonly password: string,
      ) {}
    }
    const censored = censorSecrets({ dto: Object.freeze(new SignInDto('alice', 'secret')) });
    expect(censored.dto).toBeInstanceOf(SignInDto);
    expect({ ...censored.dto }).toEqual({ username: 'alice', password: CENSOR });
  });

  it('writes the same lines as pino with REDACT_PATHS', () => {
    const secretKeys = ['password', 'token', 'credentials', 'authorization', 'sessionToken'];
    const key = fc.oneof(fc.constantFrom(...secretKeys), fc.constantFrom('name', 'details', 'input', 'user'));
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.dictionary(key, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 5 }), (object) => {
        const viaPaths = lineOf({ redact: { paths: REDACT_PATHS, censor: CENSOR } }, object);
        const viaCensor = lineOf({ formatters: { log: censorSecrets } }, object);
        expect(viaCensor).toEqual(viaPaths);
      }),
      { numRuns: 300 },
    );
  });
});
