import { describe, expect, it } from 'vitest';
import { deviceSubject, evaluationRequest, resourceArn, userSubject } from '../../../src/authz/check-request.js';
import { isDomainError } from '../../../src/common/errors/domain-error.js';
import { compileEntitlements, type SiteGrant } from '../../../src/policy/entitlements.js';
import { evaluate } from '../../../src/policy/evaluator.js';

const scope = { region: 'eu-west-1', accountId: '123456789012' };
const aliceRecord = { username: 'alice', cognitoSub: 'sub-1', active: true, policyName: 'iotp_alice', identityId: 'eu-west-1:abc' };
const compiled = (sites: SiteGrant[]) => compileEntitlements({ scope, prefix: 'iotp', username: 'alice', sites });
const alice = userSubject(aliceRecord, compiled([]));
const scannerRecord = {
  name: 'scanner1',
  thingName: 'iotp_alice_scanner1',
  policyName: 'iotp_alice_scanner1',
  attributes: { site: 'lab' },
  certificateAttached: true,
  owner: { kind: 'user' as const, username: 'alice', active: true },
};
const scanner = deviceSubject(scope, 'iotp', scannerRecord);

function errorCode(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    return isDomainError(error) ? error.code : String(error);
  }
}

describe('resourceArn', () => {
  it('builds the ARN of the kind each action acts on from a bare name', () => {
    expect(resourceArn(scope, 'connect', 'alice').arn).toBe('arn:aws:iot:eu-west-1:123456789012:client/alice');
    expect(resourceArn(scope, 'publish', 'alice/x').arn).toBe('arn:aws:iot:eu-west-1:123456789012:topic/alice/x');
    expect(resourceArn(scope, 'receive', 'alice/x').arn).toBe('arn:aws:iot:eu-west-1:123456789012:topic/alice/x');
    expect(resourceArn(scope, 'subscribe', 'alice/#').arn).toBe('arn:aws:iot:eu-west-1:123456789012:topicfilter/alice/#');
  });

  it('takes a full ARN as given, and reads the name out of it', () => {
    const arn = 'arn:aws:iot:us-east-1:210987654321:client/alice.tablet';
    expect(resourceArn(scope, 'connect', arn)).toEqual({ arn, name: 'alice.tablet' });
  });

  it.each([
    ['a topic ARN for subscribe', 'subscribe', 'arn:aws:iot:eu-west-1:123456789012:topic/alice/#'],
    ['a client ARN for publish', 'publish', 'arn:aws:iot:eu-west-1:123456789012:client/alice'],
    ['a non-IoT ARN', 'publish', 'arn:aws:s3:::bucket/alice/x'],
    ['an ARN without a name', 'connect', 'arn:aws:iot:eu-west-1:123456789012:client/'],
  ] as const)('refuses %s as VALIDATION_FAILED', (_, action, resource) => {
    expect(errorCode(() => resourceArn(scope, action, resource))).toBe('VALIDATION_FAILED');
  });
});

describe('deviceSubject', () => {
  it("holds a site's device to the site device document: publish its own topics, hear only its commands", () => {
    const gate = deviceSubject(scope, 'iotp', {
      name: 'gate',
      thingName: 'iotp-site_dock_gate',
      policyName: 'iotp-site_dock_gate',
      attributes: { site: 'dock', device: 'gate' },
      certificateAttached: true,
      owner: { kind: 'site', site: 'dock', active: true },
    });
    const allowed = (action: 'connect' | 'publish' | 'receive' | 'subscribe', resource: string) =>
      evaluate(gate.policies, evaluationRequest(scope, gate, { action, resource })).allowed;

    expect(gate.ownClientId).toBe('iotp-site_dock_gate');
    expect(allowed('connect', 'iotp-site_dock_gate')).toBe(true);
    expect(allowed('publish', '_sites/dock/gate/scan')).toBe(true);
    expect(allowed('subscribe', '_sites/dock/_cmd/gate/#')).toBe(true);
    expect(allowed('receive', '_sites/dock/_cmd/gate/open')).toBe(true);
    expect(allowed('publish', '_sites/dock/other/scan')).toBe(false);
    expect(allowed('receive', '_sites/dock/other/scan')).toBe(false);
    expect(allowed('publish', '_sites/dock/_cmd/gate/open')).toBe(false);
  });
});

describe('evaluationRequest', () => {
  it('uses the resource as the client id for connect', () => {
    expect(evaluationRequest(scope, alice, { action: 'connect', resource: 'alice.tablet' }).context.clientId).toBe('alice.tablet');
  });

  it("uses the principal's own client id for the other actions, unless one is given", () => {
    expect(evaluationRequest(scope, alice, { action: 'publish', resource: 'alice/x' }).context.clientId).toBe('alice');
    expect(evaluationRequest(scope, scanner, { action: 'publish', resource: 'alice/scanner1/x' }).context.clientId).toBe('iotp_alice_scanner1');
    expect(evaluationRequest(scope, alice, { action: 'publish', resource: 'alice/x', clientId: 'alice.tv' }).context.clientId).toBe('alice.tv');
  });

  it('feeds the identity id for a user, and the thing name and attributes for a device', () => {
    expect(evaluationRequest(scope, alice, { action: 'publish', resource: 'alice/x' }).context).toEqual({
      cognitoIdentityId: 'eu-west-1:abc',
      clientId: 'alice',
    });
    expect(evaluationRequest(scope, scanner, { action: 'publish', resource: 'alice/scanner1/x' }).context).toEqual({
      thingName: 'iotp_alice_scanner1',
      thingAttributes: { site: 'lab' },
      thingIsAttached: true,
      clientId: 'iotp_alice_scanner1',
    });
  });

  it('resolves thing variables only when the client id is the name of the thing attached to the principal', () => {
    const byOtherClient = evaluationRequest(scope, scanner, { action: 'publish', resource: 'alice/scanner1/x', clientId: 'alice' }).context;
    expect(byOtherClient).toEqual({ clientId: 'alice', thingIsAttached: false });
    const unattached = deviceSubject(scope, 'iotp', { ...scannerRecord, certificateAttached: false });
    expect(evaluationRequest(scope, unattached, { action: 'publish', resource: 'alice/scanner1/x' }).context).toEqual({
      clientId: 'iotp_alice_scanner1',
      thingIsAttached: false,
    });
    // A Cognito identity has no thing attached, whatever client id it connects with.
    expect(evaluationRequest(scope, alice, { action: 'connect', resource: 'iotp_alice_scanner1' }).context).not.toHaveProperty('thingName');
  });

  it('so a statement on ${iot:Connection.Thing.ThingName} allows the thing itself and no other client id', () => {
    const policies = [
      {
        policyName: 'thing-vars',
        document: {
          Version: '2012-10-17' as const,
          Statement: [
            {
              Effect: 'Allow' as const,
              Action: 'iot:Publish',
              Resource: 'arn:aws:iot:eu-west-1:123456789012:topic/things/${iot:Connection.Thing.ThingName}/*',
            },
          ],
        },
      },
    ];
    const subject = { ...scanner, policies };
    const asThing = evaluationRequest(scope, subject, { action: 'publish', resource: 'things/iotp_alice_scanner1/x' });
    const asOther = evaluationRequest(scope, subject, { action: 'publish', resource: 'things/iotp_alice_scanner1/x', clientId: 'someone-else' });
    expect(evaluate(policies, asThing).allowed).toBe(true);
    expect(evaluate(policies, asOther).allowed).toBe(false);
  });

  it('maps actions to their IoT names', () => {
    expect(evaluationRequest(scope, alice, { action: 'subscribe', resource: 'alice/#' }).action).toBe('iot:Subscribe');
    expect(evaluationRequest(scope, alice, { action: 'receive', resource: 'alice/x' }).action).toBe('iot:Receive');
  });
});

describe('userSubject', () => {
  it("evaluates every compiled slot and names slot 1 as the user's policy", () => {
    // Enough sites with long names to spill over slot 1.
    const sites = Array.from({ length: 24 }, (_, i) => ({
      site: `warehouse-${String(i).padStart(2, '0')}-${'x'.repeat(30)}`,
      role: 'member' as const,
    }));
    const policies = compiled(sites);
    expect(policies.length).toBeGreaterThan(1);
    const subject = userSubject(aliceRecord, policies);
    expect(subject.policyName).toBe('iotp_alice');
    expect(subject.policies.map((policy) => policy.policyName)).toEqual(policies.map((policy) => policy.policyName));
    const last = policies.at(-1)!;
    const topic = `_sites/${last.sites[0]}/dev1/x`;
    const result = evaluate(subject.policies, evaluationRequest(scope, subject, { action: 'receive', resource: topic }));
    expect(result).toMatchObject({ allowed: true, policyName: last.policyName });
  });
});
