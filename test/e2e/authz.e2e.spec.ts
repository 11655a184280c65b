import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrincipalFactory, type SeededDevice } from '../support/principal-factory.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';
import type { TestTokenIssuer } from '../support/token-issuer.js';
import { credentials, idTokenOf } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';
import { registeredSiteDevice } from '../support/http/devices.js';
import { SiteRows } from '../support/site-rows.js';
import { compileEntitlements } from '../../src/policy/entitlements.js';
import { IotPort } from '../../src/aws/iot.port.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';

describe('POST /v1/authz/check (dry run)', () => {
  let t: TestApp;
  let principals: PrincipalFactory;
  let scanner: SeededDevice;
  let sibling: SeededDevice;

  beforeAll(async () => {
    t = await startTestApp();
    principals = new PrincipalFactory(t.config.database.url!, t.config.resourcePrefix);
    const alice = await principals.user('alice', { identityId: 'eu-west-1:0f0e0d0c-0b0a-4000-8000-000000000001' });
    await principals.user('bob');
    scanner = await principals.device(alice, 'scanner1', { site: 'lab' });
    sibling = await principals.device(alice, 'scanner2');
  });
  afterAll(async () => {
    await principals?.close();
    await t?.close();
  });

  const check = (body: object) => t.http.post('/v1/authz/check').set('x-api-key', ADMIN_KEY).send(body);
  const user = (name: string) => ({ type: 'user', name });

  describe('user alice', () => {
    it.each([
      ['connect', 'alice', true],
      ['connect', 'alice.tablet', true],
      ['connect', 'bob', false],
      ['connect', 'alice-b', false],
      ['publish', 'alice/x', true],
      ['receive', 'alice/x', true],
      ['subscribe', 'alice/#', true],
      ['publish', 'alice/scanner1/x', true],
      ['publish', 'invalidTopic', false],
      ['subscribe', 'invalidTopic', false],
      ['publish', 'bob/x', false],
      ['receive', 'bob/x', false],
      ['subscribe', 'bob/#', false],
      ['subscribe', '#', false],
    ])('%s %s → allowed: %s', async (action, resource, expected) => {
      const response = await check({ principal: user('alice'), action, resource });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ allowed: expected, decision: expected ? 'ALLOW' : 'IMPLICIT_DENY', policyName: 'iotp_alice' });
    });

    it('names the deciding statement of an allow', async () => {
      const response = await check({ principal: user('alice'), action: 'connect', resource: 'alice' });
      expect(response.body).toEqual({
        source: 'expected',
        allowed: true,
        decision: 'ALLOW',
        policyName: 'iotp_alice',
        evaluatedPolicies: ['iotp_alice'],
        statementIndex: 0,
        decidingPolicy: 'iotp_alice',
        explanation: 'Allowed by Statement[0] of policy iotp_alice: iot:Connect on arn:aws:iot:eu-west-1:123456789012:client/alice.',
      });
    });

    it('still names the policy on an implicit deny, without a statement', async () => {
      const response = await check({ principal: user('alice'), action: 'publish', resource: 'bob/x' });
      expect(response.body).toEqual({
        source: 'expected',
        allowed: false,
        decision: 'IMPLICIT_DENY',
        policyName: 'iotp_alice',
        evaluatedPolicies: ['iotp_alice'],
        explanation: expect.stringContaining('iotp_alice'),
      });
    });

    it('accepts a full ARN, and denies one from another account', async () => {
      const own = await check({ principal: user('alice'), action: 'publish', resource: 'arn:aws:iot:eu-west-1:123456789012:topic/alice/x' });
      expect(own.body.allowed).toBe(true);
      const foreign = await check({ principal: user('alice'), action: 'publish', resource: 'arn:aws:iot:eu-west-1:210987654321:topic/alice/x' });
      expect(foreign.body.allowed).toBe(false);
    });

    it('refuses an ARN of the wrong kind for the action', async () => {
      const response = await check({ principal: user('alice'), action: 'subscribe', resource: 'arn:aws:iot:eu-west-1:123456789012:topic/alice/#' });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('device alice/scanner1', () => {
    const device = () => ({ type: 'device', name: scanner.thingName });

    it('is named as the provisioning code names it', () => {
      expect([scanner.thingName, sibling.thingName]).toEqual(['iotp_alice_scanner1', 'iotp_alice_scanner2']);
    });

    it.each([
      ['connect', 'iotp_alice_scanner1', true],
      ['connect', 'alice', false],
      ['connect', 'iotp_alice_scanner2', false],
      ['publish', 'alice/scanner1/telemetry', true],
      ['receive', 'alice/scanner1/commands', true],
      ['subscribe', 'alice/scanner1/#', true],
      ['publish', 'alice/scanner2/telemetry', false],
      ['subscribe', 'alice/scanner2/#', false],
      ['publish', 'alice/x', false],
      ['subscribe', 'alice/#', false],
      ['publish', 'bob/x', false],
    ])('%s %s → allowed: %s', async (action, resource, expected) => {
      const response = await check({ principal: device(), action, resource });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ allowed: expected, policyName: scanner.policyName });
    });
  });

  describe('sites', () => {
    let rows: SiteRows;
    let gate1: { thingName: string };

    beforeAll(async () => {
      rows = new SiteRows(t.app);
      for (const name of ['mia', 'otto', 'nina', 'rex']) await principals.user(name);
      await rows.site('dock');
      await rows.site('yard');
      await rows.member('dock', 'mia', 'member');
      await rows.member('dock', 'otto', 'operator');
      await rows.member('yard', 'nina', 'operator');
      await rows.member('dock', 'rex', 'member');
      gate1 = await registeredSiteDevice(t, 'dock', 'gate1');
      await registeredSiteDevice(t, 'dock', 'gate2');
    });

    it.each([
      ['mia', 'receive', '_sites/dock/gate1/x', true],
      ['mia', 'subscribe', '_sites/dock/#', true],
      ['mia', 'subscribe', '_sites/dock/gate2/#', true],
      ['mia', 'publish', '_sites/dock/_cmd/gate1/x', false],
      ['mia', 'publish', '_sites/dock/gate1/x', false],
      ['mia', 'receive', '_sites/yard/gate1/x', false],
      ['mia', 'publish', 'mia/x', true],
      ['otto', 'publish', '_sites/dock/_cmd/gate1/x', true],
      ['otto', 'receive', '_sites/dock/gate1/x', true],
      ['otto', 'publish', '_sites/dock/gate1/x', false],
      ['otto', 'publish', '_sites/yard/_cmd/gate1/x', false],
      ['nina', 'receive', '_sites/dock/gate1/x', false],
      ['nina', 'subscribe', '_sites/dock/#', false],
      ['nina', 'publish', '_sites/dock/_cmd/gate1/x', false],
      ['alice', 'receive', '_sites/dock/gate1/x', false],
      ['alice', 'subscribe', '_sites/#', false],
    ])('user %s: %s %s → allowed: %s', async (name, action, resource, expected) => {
      const response = await check({ principal: user(name), action, resource });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ allowed: expected, decision: expected ? 'ALLOW' : 'IMPLICIT_DENY', policyName: `iotp_${name}` });
    });

    it('evaluates every document a member holds, and names the one that decided', async () => {
      // Enough sites with long names to fill slot 1 and spill into iotp_vera.2.
      await principals.user('vera');
      const names = Array.from({ length: 24 }, (_, i) => `hall-${String(i).padStart(2, '0')}-${'v'.repeat(30)}`);
      for (const name of names) {
        await rows.site(name);
        await rows.member(name, 'vera', 'member');
      }
      const scope = { region: t.aws.region, accountId: t.aws.accountId };
      const compiled = compileEntitlements({ scope, prefix: 'iotp', username: 'vera', sites: names.map((site) => ({ site, role: 'member' })) });
      expect(compiled.length).toBeGreaterThan(1);
      const inSlot2 = compiled[1]!.sites[0]!;
      const response = await check({ principal: user('vera'), action: 'receive', resource: `_sites/${inSlot2}/gate1/x` });
      expect(response.body).toMatchObject({
        allowed: true,
        policyName: 'iotp_vera',
        evaluatedPolicies: compiled.map((policy) => policy.policyName),
        decidingPolicy: 'iotp_vera.2',
      });
      expect(response.body.explanation).toContain('iotp_vera.2');
    });

    it('drops the grants of a removed member and of a site being deleted', async () => {
      const question = { principal: user('rex'), action: 'receive', resource: '_sites/dock/gate1/x' };
      expect((await check(question)).body.allowed).toBe(true);
      await rows.removeMember('dock', 'rex');
      expect((await check(question)).body).toMatchObject({ allowed: false, evaluatedPolicies: ['iotp_rex'] });

      await rows.site('quay');
      await rows.member('quay', 'rex', 'operator');
      const command = { principal: user('rex'), action: 'publish', resource: '_sites/quay/_cmd/crane/x' };
      expect((await check(command)).body.allowed).toBe(true);
      await rows.markDeleting('quay');
      expect((await check(command)).body.allowed).toBe(false);
    });

    describe('site device dock/gate1', () => {
      const device = () => ({ type: 'device', name: gate1.thingName });

      it('is named as the provisioning code names it', () => {
        expect(gate1.thingName).toBe('iotp-site_dock_gate1');
      });

      it.each([
        ['connect', 'iotp-site_dock_gate1', true],
        ['connect', 'iotp-site_dock_gate2', false],
        ['publish', '_sites/dock/gate1/scan', true],
        ['publish', '_sites/dock/gate2/scan', false],
        ['publish', '_sites/dock/_cmd/gate2/open', false],
        ['publish', '_sites/yard/gate1/scan', false],
        ['receive', '_sites/dock/_cmd/gate1/open', true],
        ['subscribe', '_sites/dock/_cmd/gate1/#', true],
        ['receive', '_sites/dock/_cmd/gate2/open', false],
        ['receive', '_sites/dock/gate2/scan', false],
        ['subscribe', '_sites/dock/#', false],
        ['publish', 'alice/x', false],
      ])('%s %s → allowed: %s', async (action, resource, expected) => {
        const response = await check({ principal: device(), action, resource });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ allowed: expected, policyName: 'iotp-site_dock_gate1', evaluatedPolicies: ['iotp-site_dock_gate1'] });
      });

      it('answers 404 for a site device that does not exist', async () => {
        const response = await check({ principal: { type: 'device', name: 'iotp-site_dock_gate9' }, action: 'connect', resource: 'x' });
        expect(response.status).toBe(404);
      });
    });
  });

  describe('refusals', () => {
    it.each([
      ['user', 'nobody'],
      ['device', 'iotp_alice_nothing'],
      ['device', 'alice'],
    ])('answers 404 for an unknown %s %s', async (type, name) => {
      const response = await check({ principal: { type, name }, action: 'connect', resource: 'x' });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    });

    it.each([
      ['an unknown action', { principal: user('alice'), action: 'delete', resource: 'alice/x' }],
      ['an unknown principal type', { principal: { type: 'group', name: 'alice' }, action: 'connect', resource: 'alice' }],
      ['no principal', { action: 'connect', resource: 'alice' }],
      ['no resource', { principal: user('alice'), action: 'connect' }],
      ['an unknown field', { principal: user('alice'), action: 'connect', resource: 'alice', effect: 'Allow' }],
      ['an unknown principal field', { principal: { ...user('alice'), admin: true }, action: 'connect', resource: 'alice' }],
    ])('answers 400 for %s', async (_, body) => {
      const response = await check(body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('admin only', () => {
    const body = { principal: { type: 'user', name: 'alice' }, action: 'connect', resource: 'alice' };

    it('refuses a caller without credentials', async () => {
      const response = await t.http.post('/v1/authz/check').send(body);
      expect(response.status).toBe(401);
    });

    it('refuses an app user', async () => {
      const token = (t.aws.tokens as TestTokenIssuer).idToken({ sub: 'a1b2c3d4-0000-4000-8000-000000000001', username: 'alice' });
      const response = await t.http.post('/v1/authz/check').set('authorization', `Bearer ${token}`).send(body);
      expect(response.status).toBe(403);
    });

    it('accepts a member of the admin group', async () => {
      t.aws.userPool.seedUser({ username: 'root', password: 'Root-Password-1', groups: ['admins'], sub: 'a1b2c3d4-0000-4000-8000-000000000002' });
      const token = (t.aws.tokens as TestTokenIssuer).idToken({ sub: 'a1b2c3d4-0000-4000-8000-000000000002', username: 'root', groups: ['admins'] });
      const response = await t.http.post('/v1/authz/check').set('authorization', `Bearer ${token}`).send(body);
      expect(response.status).toBe(200);
      expect(response.body.allowed).toBe(true);
    });
  });
});

describe('POST /v1/authz/check against what AWS holds (source aws)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await readyUser(t, 'hana');
    expect((await credentials(t, idTokenOf(t.aws, 'hana'))).status).toBe(200); // links the identity, attaches the policy
  });
  afterAll(async () => t?.close());

  const check = (body: object) => t.http.post('/v1/authz/check').set('x-api-key', ADMIN_KEY).send(body);
  const wide = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });

  it('sees a policy version widened by hand to iot:* on *, which the generated document does not; each answer says which it used', async () => {
    const question = { principal: { type: 'user', name: 'hana' }, action: 'publish', resource: 'someone-else/x' };
    const before = await check({ ...question, source: 'aws' });
    expect(before.body).toMatchObject({ allowed: false, source: 'aws', evaluatedPolicies: ['iotp_hana'] });

    t.aws.iot.addPolicyVersion('iotp_hana', wide, true);
    const held = await check({ ...question, source: 'aws' });
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ allowed: true, decision: 'ALLOW', source: 'aws', evaluatedPolicies: ['iotp_hana'] });

    const expected = await check(question);
    expect(expected.body).toMatchObject({ allowed: false, decision: 'IMPLICIT_DENY', source: 'expected', evaluatedPolicies: ['iotp_hana'] });
  });

  it("evaluates every policy attached to a member's identity, and sees a site grant AWS does not hold yet", async () => {
    await readyUser(t, 'jon');
    expect((await credentials(t, idTokenOf(t.aws, 'jon'))).status).toBe(200);
    const rows = new SiteRows(t.app);
    await rows.site('dock');
    await rows.member('dock', 'jon', 'member');
    const question = { principal: { type: 'user', name: 'jon' }, action: 'receive', resource: '_sites/dock/gate1/x' };
    expect((await check(question)).body).toMatchObject({ allowed: true, source: 'expected', evaluatedPolicies: ['iotp_jon'] });
    // The membership row alone changes nothing in AWS: until its documents are applied, the identity lacks the grant.
    expect((await check({ ...question, source: 'aws' })).body).toMatchObject({ allowed: false, evaluatedPolicies: ['iotp_jon'] });

    const identityId = (await t.app.get(PrismaService).user.findUniqueOrThrow({ where: { username: 'jon' } })).identityId!;
    const siteOnly = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Receive', Resource: `arn:aws:iot:${t.aws.region}:${t.aws.accountId}:topic/_sites/dock/*` }],
    });
    const iot = t.app.get(IotPort);
    await iot.createPolicy('iotp_jon.2', siteOnly);
    await iot.attachPolicy('iotp_jon.2', identityId);
    expect((await check({ ...question, source: 'aws' })).body).toMatchObject({
      allowed: true,
      decidingPolicy: 'iotp_jon.2',
      evaluatedPolicies: expect.arrayContaining(['iotp_jon', 'iotp_jon.2']),
    });
  });

  it('finds nothing attached in AWS for a user who never signed in: an implicit deny', async () => {
    await readyUser(t, 'ivo');
    const response = await check({ principal: { type: 'user', name: 'ivo' }, action: 'publish', resource: 'ivo/x', source: 'aws' });
    expect(response.body).toMatchObject({ allowed: false, decision: 'IMPLICIT_DENY', source: 'aws', evaluatedPolicies: [] });
    expect((await check({ principal: { type: 'user', name: 'ivo' }, action: 'publish', resource: 'ivo/x' })).body).toMatchObject({
      allowed: true,
      source: 'expected',
    });
  });

  it('refuses an unknown source', async () => {
    const response = await check({ principal: { type: 'user', name: 'hana' }, action: 'publish', resource: 'hana/x', source: 'db' });
    expect(response.status).toBe(400);
  });
});
