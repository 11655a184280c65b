import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { IotAction } from '../../../src/policy/evaluator.js';
import { allow, allowed, arn, client, filter, policy, topic } from './policy-fixtures.js';

describe('actions', () => {
  it.each([
    ['iot:*', 'iot:Publish', true],
    ['*', 'iot:Receive', true],
    ['iot:Pub*', 'iot:Publish', true],
    ['iot:Pub*', 'iot:Subscribe', false],
    ['IOT:PUBLISH', 'iot:Publish', true],
    ['iot:publis?', 'iot:Publish', true],
    ['iot:Publish?', 'iot:Publish', false],
    ['iot:Publish', 'iot:RetainPublish', false],
    [['iot:Connect', 'iot:Subscribe'], 'iot:Subscribe', true],
  ] as const)('%j vs %s → %s', (action, requested, expected) => {
    const p = policy('p', allow(action as string | string[], `${arn}:*`));
    expect(allowed(p, requested, topic('a'))).toBe(expected);
  });
});

describe('resources', () => {
  it.each([
    ['topic/alice/*', topic('alice/x/y'), true],
    ['topic/alice/*', topic('alice'), false],
    ['topic/alice/*', topic('alicex/y'), false],
    ['topic/*', topic('a/b/c'), true],
    ['*', client('anyone'), true],
    ['topic/alice/?', topic('alice/x'), true],
    ['topic/alice/?', topic('alice/xy'), false],
    ['topic/alice/?', topic('alice/'), false],
    ['topic/Alice/*', topic('alice/x'), false],
    ['topicfilter/alice/#', filter('alice/x'), false],
    ['topicfilter/alice/#', filter('alice/#'), true],
    ['topicfilter/alice/+/x', filter('alice/y/x'), false],
    ['topicfilter/alice/*', filter('alice/#'), true],
    ['topicfilter/alice/*', filter('alice/+/x'), true],
    ['topic/alice/*', filter('alice/x'), false],
    ['topic/a.c', topic('abc'), false],
    ['topic/a(b|c)', topic('ab'), false],
  ])('%s matches %s → %s', (resource, requested, expected) => {
    const p = policy('p', allow('iot:*', `${arn}:${resource}`));
    const action: IotAction = requested.includes(':topicfilter/') ? 'iot:Subscribe' : 'iot:Publish';
    expect(allowed(p, action, requested)).toBe(expected);
  });

  it('matches any entry of a Resource list', () => {
    const p = policy('p', allow('iot:Connect', [client('a'), client('b')]));
    expect(allowed(p, 'iot:Connect', client('b'))).toBe(true);
    expect(allowed(p, 'iot:Connect', client('c'))).toBe(false);
  });
});

describe('wildcard matching', () => {
  /** Reference glob semantics by dynamic programming: slow, obviously right. */
  function globMatches(pattern: string, text: string): boolean {
    let row = [true, ...text.split('').map(() => false)];
    for (const p of pattern) {
      const next = [p === '*' && row[0]!];
      for (let j = 1; j <= text.length; j++) {
        next[j] = p === '*' ? row[j]! || next[j - 1]! : row[j - 1]! && (p === '?' || p === text[j - 1]);
      }
      row = next;
    }
    return row[text.length]!;
  }

  it('agrees with a reference glob matcher', () => {
    const patternText = fc.string({ unit: fc.constantFrom('a', 'b', '/', '*', '?', '#'), maxLength: 10 });
    const topicText = fc.string({ unit: fc.constantFrom('a', 'b', '/', '#'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(patternText, topicText, (pattern, name) => {
        const p = policy('p', allow('iot:Publish', `${arn}:topic/x${pattern}`));
        expect(allowed(p, 'iot:Publish', topic(`x${name}`))).toBe(globMatches(pattern, name));
      }),
      { numRuns: 3000 },
    );
  });

  it('stays fast on patterns with many stars (no catastrophic backtracking)', () => {
    const p = policy('p', allow('iot:Publish', `${arn}:topic/*a*a*a*a*a*a*a*a*b`));
    expect(allowed(p, 'iot:Publish', topic('a'.repeat(250)))).toBe(false);
    expect(allowed(p, 'iot:Publish', topic(`${'a'.repeat(250)}b`))).toBe(true);
  });

  it('keeps matching correctly after the pattern cache evicts entries', () => {
    const only = (n: number) => policy('p', allow('iot:Publish', `${arn}:topic/n${n}/*`));
    for (let i = 0; i < 2500; i++) expect(allowed(only(i), 'iot:Publish', topic(`n${i}/x`))).toBe(true);
    expect(allowed(only(0), 'iot:Publish', topic('n1/x'))).toBe(false);
  });
});
