/**
 * The point of the policy package: one principal's grant never reaches another's resources.
 * (a) the reference scenarios, (b) a property over adversarial name pairs. Both evaluate the
 * generated documents with the evaluator, which follows AWS's documented matching rules.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { devicePolicyDocument, iotArn, userPolicyDocument } from '../../../src/policy/documents.js';
import { evaluate, type IotAction, type NamedPolicy } from '../../../src/policy/evaluator.js';
import { NAME_PATTERN, deviceTopicPrefix, devicePolicyName, thingName, userPolicyName, userTopicPrefix } from '../../../src/policy/names.js';

const scope = { region: 'eu-west-1', accountId: '123456789012' };
const PREFIX = 'iotp';
const ACTIONS: IotAction[] = ['iot:Connect', 'iot:Publish', 'iot:Receive', 'iot:Subscribe'];

type Principal = { kind: 'user'; username: string } | { kind: 'device'; username: string; device: string };
const user = (username: string): Principal => ({ kind: 'user', username });
const device = (username: string, name: string): Principal => ({ kind: 'device', username, device: name });

function policiesOf(p: Principal): NamedPolicy[] {
  return p.kind === 'user'
    ? [{ policyName: userPolicyName(PREFIX, p.username), document: userPolicyDocument(scope, p.username) }]
    : [
        {
          policyName: devicePolicyName(PREFIX, p.username, p.device),
          document: devicePolicyDocument(scope, PREFIX, p.username, p.device),
        },
      ];
}
/** Concrete client ids: a user's own name and one `name.<suffix>`; a device's thing name. */
function clientIdsOf(p: Principal): string[] {
  return p.kind === 'user' ? [p.username, `${p.username}.tablet`] : [thingName(PREFIX, p.username, p.device)];
}
function topicPrefixOf(p: Principal): string {
  return p.kind === 'user' ? userTopicPrefix(p.username) : deviceTopicPrefix(p.username, p.device);
}

const can = (policies: NamedPolicy[], action: IotAction, kind: 'client' | 'topic' | 'topicfilter', name: string) =>
  evaluate(policies, { action, resource: iotArn(scope, kind, name), context: {} }).allowed;

describe('reference scenarios', () => {
  const alice = policiesOf(user('alice'));
  const scanner = policiesOf(device('alice', 'scanner1'));

  it.each([
    [alice, 'iot:Connect', 'client', 'alice', true],
    [alice, 'iot:Connect', 'client', 'alice.tablet', true],
    [alice, 'iot:Publish', 'topic', 'alice/x', true],
    [alice, 'iot:Receive', 'topic', 'alice/x', true],
    [alice, 'iot:Subscribe', 'topicfilter', 'alice/#', true],
    [alice, 'iot:Publish', 'topic', 'alice/scanner1/x', true], // the owner talks to its devices
    [alice, 'iot:Connect', 'client', 'bob', false],
    [alice, 'iot:Connect', 'client', 'alice-b', false],
    [alice, 'iot:Connect', 'client', 'alicex', false],
    [alice, 'iot:Connect', 'client', 'iotp_alice_scanner1', false],
    [alice, 'iot:Publish', 'topic', 'invalidTopic', false],
    [alice, 'iot:Publish', 'topic', 'bob/x', false],
    [alice, 'iot:Publish', 'topic', 'alicex/y', false],
    [alice, 'iot:Receive', 'topic', 'bob/x', false],
    [alice, 'iot:Subscribe', 'topicfilter', 'invalidTopic', false],
    [alice, 'iot:Subscribe', 'topicfilter', 'bob/x', false],
    [alice, 'iot:Subscribe', 'topicfilter', 'alicex/y', false],
    [alice, 'iot:Subscribe', 'topicfilter', '#', false],
    [alice, 'iot:RetainPublish', 'topic', 'alice/x', false],
    [scanner, 'iot:Connect', 'client', 'iotp_alice_scanner1', true],
    [scanner, 'iot:Publish', 'topic', 'alice/scanner1/x', true],
    [scanner, 'iot:Receive', 'topic', 'alice/scanner1/x', true],
    [scanner, 'iot:Subscribe', 'topicfilter', 'alice/scanner1/#', true],
    [scanner, 'iot:Connect', 'client', 'alice', false],
    [scanner, 'iot:Connect', 'client', 'scanner1', false],
    [scanner, 'iot:Connect', 'client', 'iotp_alice_scanner10', false],
    [scanner, 'iot:Publish', 'topic', 'alice/scanner10/x', false],
    [scanner, 'iot:Publish', 'topic', 'alice/scanner2/x', false],
    [scanner, 'iot:Publish', 'topic', 'alice/x', false],
    [scanner, 'iot:Publish', 'topic', 'bob/scanner1/x', false],
    [scanner, 'iot:Receive', 'topic', 'alice/scanner2/x', false],
    [scanner, 'iot:Subscribe', 'topicfilter', 'alice/#', false],
    [scanner, 'iot:Subscribe', 'topicfilter', 'alice/scanner10/#', false],
    [scanner, 'iot:Subscribe', 'topicfilter', 'bob/scanner1/#', false],
  ] as const)('%#: %s %s/%s → %s', (policies, action, kind, name, expected) => {
    expect(can([...policies], action, kind, name)).toBe(expected);
  });
});

describe('isolation property', () => {
  // A tiny alphabet makes prefixes-of-each-other, hyphens and digits common.
  const tail = (max: number) => fc.string({ unit: fc.constantFrom('a', 'b', '-', '1', '0'), maxLength: max });
  const shortName = fc.tuple(fc.constantFrom('a', 'b', '1', '0'), tail(4)).map(([head, rest]) => head + rest);
  const longName = fc.tuple(fc.constantFrom('a', 'b', '1', '0'), tail(47)).map(([head, rest]) => head + rest);
  const name = fc.oneof({ arbitrary: shortName, weight: 9 }, { arbitrary: longName, weight: 1 });
  const suffix = tail(3).filter((s) => s !== '');
  const extend = (base: string, s: string) => (base + s).slice(0, 48);

  const principal = fc.oneof(
    name.map(user),
    fc.tuple(name, name).map(([u, d]) => device(u, d)),
  );

  /** The same `user-device` text cut at another hyphen: a-b + c vs a + b-c. */
  const resplits = (a: Principal): Principal[] => {
    if (a.kind !== 'device') return [];
    const joined = `${a.username}-${a.device}`;
    return [...joined]
      .map((ch, i) => (ch === '-' ? device(joined.slice(0, i), joined.slice(i + 1)) : undefined))
      .filter((b): b is Principal => b !== undefined && NAME_PATTERN.test(b.username))
      .filter((b) => b.kind === 'device' && NAME_PATTERN.test(b.device));
  };

  /** B built from A on purpose: names extending A's, A's owner, A's own devices, siblings, resplits. */
  const relatedTo = (a: Principal): fc.Arbitrary<Principal> => {
    const own = a.kind === 'device' ? a.device : 'd';
    const options: fc.Arbitrary<Principal>[] = [
      suffix.map((s) => user(extend(a.username, s))),
      suffix.map((s) => device(extend(a.username, s), own)),
      fc.constant(user(a.username)),
      name.map((d) => device(a.username, d)),
      suffix.map((s) => device(a.username, extend(own, s))),
    ];
    const cuts = resplits(a);
    return fc.oneof(...options, ...(cuts.length > 0 ? [fc.constantFrom(...cuts)] : []));
  };
  const related = principal.chain((a) => relatedTo(a).map((b): [Principal, Principal] => [a, b]));
  const same = (a: Principal, b: Principal) => JSON.stringify(a) === JSON.stringify(b);
  const pairs = fc
    .oneof(
      fc.tuple(principal, principal),
      related,
      related.map(([a, b]): [Principal, Principal] => [b, a]),
    )
    .filter(([a, b]) => !same(a, b));

  it('never lets A reach B, and always lets each principal reach its own resources', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const policies = policiesOf(a);
        const problems: string[] = [];
        const check = (action: IotAction, kind: 'client' | 'topic' | 'topicfilter', target: string, want: boolean) => {
          if (can(policies, action, kind, target) === want) return;
          problems.push(`${action} ${kind}/${target} should be ${want}`);
        };
        const mine = topicPrefixOf(a);
        for (const id of clientIdsOf(a)) check('iot:Connect', 'client', id, true);
        check('iot:Publish', 'topic', `${mine}x`, true);
        check('iot:Receive', 'topic', `${mine}x`, true);
        check('iot:Subscribe', 'topicfilter', `${mine}#`, true);

        // A user's topic space contains its own devices' topics: alice may use alice/scanner1/x.
        // So for "A is user u, B is a device of u" topic access is expected; client ids never are.
        const ownsB = a.kind === 'user' && b.kind === 'device' && b.username === a.username;
        const theirs = topicPrefixOf(b);
        for (const action of ACTIONS) {
          for (const id of clientIdsOf(b)) check(action, 'client', id, false);
          check(action, 'topic', `${theirs}x`, ownsB && (action === 'iot:Publish' || action === 'iot:Receive'));
          check(action, 'topicfilter', `${theirs}#`, ownsB && action === 'iot:Subscribe');
        }
        expect(problems).toEqual([]);
      }),
      { numRuns: 10_000 },
    );
  });
});
