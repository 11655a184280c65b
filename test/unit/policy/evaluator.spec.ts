import { describe, expect, it } from 'vitest';
import { PolicyDocumentError } from '../../../src/policy/documents.js';
import type { IotAction, NamedPolicy } from '../../../src/policy/evaluator.js';
import { allow, allowed, arn, client, decide, deny, filter, policy, topic } from './policy-fixtures.js';

describe('decisions', () => {
  const alice = policy('iotp_alice', allow('iot:Connect', client('alice')), allow('iot:Publish', topic('alice/*')));

  it('reports the allowing statement', () => {
    expect(decide(alice, 'iot:Publish', topic('alice/x'))).toEqual({
      allowed: true,
      decision: 'ALLOW',
      policyName: 'iotp_alice',
      statementIndex: 1,
      explanation: `Allowed by Statement[1] of policy iotp_alice: iot:Publish on ${arn}:topic/alice/x.`,
    });
  });

  it('denies implicitly when nothing allows', () => {
    expect(decide(alice, 'iot:Subscribe', filter('alice/x'))).toEqual({
      allowed: false,
      decision: 'IMPLICIT_DENY',
      explanation: `Denied: no statement in iotp_alice allows iot:Subscribe on ${arn}:topicfilter/alice/x.`,
    });
    expect(decide([], 'iot:Connect', client('alice')).decision).toBe('IMPLICIT_DENY');
  });

  it('lets an explicit Deny in another policy beat an Allow, whichever comes first', () => {
    const guard = policy('guard', allow('iot:Connect', client('*')), deny('iot:Pub*', topic('alice/secret/*')));
    for (const policies of [
      [alice, guard],
      [guard, alice],
    ]) {
      const result = decide(policies, 'iot:Publish', topic('alice/secret/x'));
      expect(result).toMatchObject({
        allowed: false,
        decision: 'EXPLICIT_DENY',
        policyName: 'guard',
        statementIndex: 1,
      });
      expect(result.explanation).toContain('Statement[1] of policy guard');
      expect(decide(policies, 'iot:Publish', topic('alice/open')).decision).toBe('ALLOW');
    }
  });
});

describe('policy variables', () => {
  const byVariable = (resource: string) => policy('p', allow('iot:*', `${arn}:${resource}`));

  it.each([
    ['client/${iot:ClientId}', 'client/dev-1', 'client/dev-2', { clientId: 'dev-1' }],
    ['client/${iot:Connection.Thing.ThingName}', 'client/iotp_a_b', 'client/iotp_a_c', { thingName: 'iotp_a_b' }],
    ['topic/site/${iot:Connection.Thing.Attributes[site]}/*', 'topic/site/paris/x', 'topic/site/rome/x', { thingAttributes: { site: 'paris' } }],
    ['topic/${cognito-identity.amazonaws.com:sub}/*', 'topic/eu-west-1:abc/x', 'topic/eu-west-1:abd/x', { cognitoIdentityId: 'eu-west-1:abc' }],
  ])('substitutes %s', (resource, own, other, context) => {
    const p = byVariable(resource);
    const action: IotAction = own.startsWith('client/') ? 'iot:Connect' : 'iot:Publish';
    expect(allowed(p, action, `${arn}:${own}`, context)).toBe(true);
    expect(allowed(p, action, `${arn}:${other}`, context)).toBe(false);
    expect(allowed(p, action, `${arn}:${own}`, {})).toBe(false);
  });

  it('does not match when the variable has no value, even next to a wildcard', () => {
    const p = byVariable('client/${iot:Connection.Thing.ThingName}*');
    expect(decide(p, 'iot:Connect', client('anything'), { clientId: 'anything' }).decision).toBe('IMPLICIT_DENY');
    expect(decide(p, 'iot:Connect', client('${iot:Connection.Thing.ThingName}')).decision).toBe('IMPLICIT_DENY');
    expect(allowed(p, 'iot:Connect', client('t1-x'), { thingName: 't1' })).toBe(true);
    expect(allowed(p, 'iot:Connect', client('x'), { thingName: '' })).toBe(false);
    expect(allowed(byVariable('client/${iot:Unknown}*'), 'iot:Connect', client('x'))).toBe(false);
  });

  it('resolves only attributes the thing really has', () => {
    const p = byVariable('topic/${iot:Connection.Thing.Attributes[constructor]}/*');
    const inherited = topic(`${String(Object.prototype.constructor)}/x`);
    expect(allowed(p, 'iot:Publish', inherited, { thingAttributes: {} })).toBe(false);
    expect(allowed(p, 'iot:Publish', topic('own/x'), { thingAttributes: { constructor: 'own' } })).toBe(true);
  });

  it('matches a variable value containing wildcards literally', () => {
    const p = byVariable('client/${iot:ClientId}');
    expect(allowed(p, 'iot:Connect', client('a*'), { clientId: 'a*' })).toBe(true);
    expect(allowed(p, 'iot:Connect', client('abc'), { clientId: 'a*' })).toBe(false);
    expect(allowed(p, 'iot:Connect', client('ab'), { clientId: 'a?' })).toBe(false);
  });

  it.each([
    ['${*}', 'a*', 'ab'],
    ['${?}', 'a?', 'ab'],
    ['${$}', 'a$', 'ab'],
  ])('treats the escape %s as a literal character', (escape, literal, other) => {
    const p = byVariable(`topic/a${escape}`);
    expect(allowed(p, 'iot:Publish', topic(literal))).toBe(true);
    expect(allowed(p, 'iot:Publish', topic(other))).toBe(false);
  });

  it('keeps an unclosed ${ as literal text', () => {
    expect(allowed(byVariable('topic/a${b'), 'iot:Publish', topic('a${b'))).toBe(true);
  });
});

describe('JSON documents', () => {
  const text = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: statement });

  it('parses JSON text, including a single statement object', () => {
    const list: NamedPolicy = { policyName: 'p', document: text([allow('iot:Connect', client('a'))]) };
    const single: NamedPolicy = { policyName: 'p', document: text(allow('iot:Connect', client('a'))) };
    for (const p of [list, single]) {
      expect(allowed(p, 'iot:Connect', client('a'))).toBe(true);
      expect(allowed(p, 'iot:Connect', client('b'))).toBe(false);
    }
  });

  it.each([
    ['not JSON', '{'],
    ['no Statement', '{"Version":"2012-10-17"}'],
    ['bad Effect', text([{ Effect: 'allow', Action: 'iot:*', Resource: '*' }])],
    ['no Resource', text([{ Effect: 'Allow', Action: 'iot:*' }])],
    ['a Condition it cannot model', text([{ ...allow('iot:*', '*'), Condition: { Bool: { x: 'true' } } }])],
    ['an operator other than Bool', text([{ ...allow('iot:*', '*'), Condition: { StringEquals: { 'iot:Connection.Thing.IsAttached': 'true' } } }])],
    ['a second condition key', text([{ ...allow('iot:*', '*'), Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true', x: 'true' } } }])],
    ['a Bool that is not true or false', text([{ ...allow('iot:*', '*'), Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'yes' } } }])],
    ['NotResource', text([{ Effect: 'Deny', Action: 'iot:*', NotResource: '*' }])],
  ])('refuses a document with %s', (_label, document) => {
    expect(() => decide({ policyName: 'p', document }, 'iot:Connect', client('a'))).toThrow(PolicyDocumentError);
  });
});

describe('the thing-attachment condition', () => {
  const attached = (value: string | string[]) =>
    policy('p', { ...allow('iot:Connect', client('*')), Condition: { Bool: { 'iot:Connection.Thing.IsAttached': value } } } as never);

  it.each([
    ['true', { thingIsAttached: true }, true],
    ['true', { thingIsAttached: false }, false],
    ['true', {}, false],
    ['false', { thingIsAttached: false }, true],
    ['false', { thingIsAttached: true }, false],
    ['false', {}, false],
    [['true', 'false'], { thingIsAttached: false }, true],
  ] as const)('Bool %j with context %j allows: %s', (value, context, expected) => {
    expect(decide(attached(value as string | string[]), 'iot:Connect', client('dev-1'), { clientId: 'dev-1', ...context }).allowed).toBe(expected);
  });

  it('resolves ${iot:Connection.Thing.IsAttached} as a variable only when known', () => {
    const p = policy('p', allow('iot:Publish', topic('attached/${iot:Connection.Thing.IsAttached}/*')));
    expect(allowed(p, 'iot:Publish', topic('attached/true/x'), { thingIsAttached: true })).toBe(true);
    expect(allowed(p, 'iot:Publish', topic('attached/true/x'), { thingIsAttached: false })).toBe(false);
    expect(allowed(p, 'iot:Publish', topic('attached/false/x'), {})).toBe(false);
  });
});
