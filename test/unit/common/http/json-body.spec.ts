import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestingDepth } from '../../../../src/common/http/json-body.js';

describe('nestingDepth', () => {
  it.each([
    ['1', 0],
    ['"[[[{"', 0],
    ['{"a":[1,{"b":[]}]}', 4],
    ['["\\"[[[", {}]', 2],
    ['["\\\\", [[]]]', 3],
    ['[]{}[]', 1],
  ])('%s nests %i deep', (text, depth) => {
    expect(nestingDepth(text)).toBe(depth);
  });

  it('stops counting once past the limit', () => {
    expect(nestingDepth('['.repeat(1_000_000))).toBe(MAX_JSON_DEPTH + 1);
  });
});
