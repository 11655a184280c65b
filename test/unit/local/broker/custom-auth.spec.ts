import { describe, expect, it } from 'vitest';
import { authorizerFromUsername, readAuthorizerAnswer } from '../../../../src/local/broker/custom-auth.js';
import { clientIdTooLong, topicBeyondLimits } from '../../../../src/local/broker/mqtt-limits.js';

const document = '{"Version":"2012-10-17","Statement":[]}';

describe('authorizerFromUsername', () => {
  it.each([
    ['alice?x-amz-customauthorizer-name=cognito', 'cognito'],
    ['alice?SDK=js&x-amz-customauthorizer-name=cognito&Version=1', 'cognito'],
    ['?x-amz-customauthorizer-name=cognito', 'cognito'],
    ['alice', undefined],
    ['alice?x-amz-customauthorizer-name=', undefined],
    ['alice?other=1', undefined],
    [undefined, undefined],
  ])('%j names %j', (username, expected) => {
    expect(authorizerFromUsername(username)).toBe(expected);
  });
});

describe('readAuthorizerAnswer', () => {
  it.each([
    [
      'JSON text documents',
      { isAuthenticated: true, principalId: 'p', policyDocuments: [document] },
      { principalId: 'p', policyDocuments: [document] },
    ],
    [
      'object documents',
      { isAuthenticated: true, principalId: 'p', policyDocuments: [JSON.parse(document)] },
      { principalId: 'p', policyDocuments: [document] },
    ],
    [
      'a disconnect time',
      { isAuthenticated: true, principalId: 'p', policyDocuments: [document], disconnectAfterInSeconds: 86_400 },
      { principalId: 'p', policyDocuments: [document], disconnectAfterSeconds: 86_400 },
    ],
  ])('accepts %s', (_label, answer, expected) => {
    expect(readAuthorizerAnswer(answer)).toEqual(expected);
  });

  it.each([
    ['nothing', undefined],
    ['isAuthenticated false', { isAuthenticated: false, policyDocuments: [document] }],
    ['isAuthenticated as text', { isAuthenticated: 'true', policyDocuments: [document] }],
    ['no documents', { isAuthenticated: true, policyDocuments: [] }],
    ['eleven documents', { isAuthenticated: true, policyDocuments: Array(11).fill(document) }],
    ['a disconnect under 300 s', { isAuthenticated: true, policyDocuments: [document], disconnectAfterInSeconds: 299 }],
    ['a disconnect over 24 h', { isAuthenticated: true, policyDocuments: [document], disconnectAfterInSeconds: 86_401 }],
    ['a fractional disconnect', { isAuthenticated: true, policyDocuments: [document], disconnectAfterInSeconds: 300.5 }],
  ])('refuses %s', (_label, answer) => {
    expect(readAuthorizerAnswer(answer)).toBeUndefined();
  });
});

describe('AWS IoT limits', () => {
  it('allows client ids up to 128 bytes, counted in UTF-8', () => {
    expect(clientIdTooLong('a'.repeat(128))).toBe(false);
    expect(clientIdTooLong('a'.repeat(129))).toBe(true);
    expect(clientIdTooLong('é'.repeat(65))).toBe(true);
  });

  it('allows topics up to 256 bytes and 7 slashes', () => {
    expect(topicBeyondLimits('a/b/c/d/e/f/g/h')).toBe(false);
    expect(topicBeyondLimits('a/b/c/d/e/f/g/h/i')).toBe(true);
    expect(topicBeyondLimits('t'.repeat(256))).toBe(false);
    expect(topicBeyondLimits('t'.repeat(257))).toBe(true);
    expect(topicBeyondLimits('é'.repeat(129))).toBe(true);
  });
});
