import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotArn, userPolicyDocument, type PolicyScope } from '../../src/policy/documents.js';
import { evaluate, type IotAction, type NamedPolicy } from '../../src/policy/evaluator.js';
import type { IotResourceKind } from '../../src/policy/arn.js';
import { AWS_CERT_NOT_AFTER } from '../../src/local/x509.js';
import { createTestCsr } from '../support/csr.js';
import { countDevices, dumpDatabase, insertUser, tamperedCsr } from '../support/factories.js';
import { registerDevice, registeredDevice } from '../support/http/devices.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';
import { awsMqttUrls } from '../support/mqtt-urls.js';

const NOT_AFTER = AWS_CERT_NOT_AFTER.toISOString();

describe('devices over HTTP', () => {
  let t: TestApp;
  let scope: PolicyScope;

  beforeAll(async () => {
    t = await startTestApp();
    scope = { region: t.aws.region, accountId: t.aws.accountId };
    for (const username of ['alice', 'bob', 'carol', 'dave', 'a', 'a-b']) await insertUser(t, username);
  });
  afterAll(async () => t?.close());

  const arn = (kind: 'thing' | 'cert' | 'policy', name: string) => `arn:aws:iot:${t.aws.region}:${t.aws.accountId}:${kind}/${name}`;

  describe('registration', () => {
    it("from an EC CSR: a certificate for the device's own key, thing, policy and both attachments", async () => {
      const response = await registerDevice(t, 'alice', { name: 'scanner-1', csr: createTestCsr().csrPem });

      expect(response.status).toBe(201);
      const { certificateId } = response.body.certificate;
      expect(response.body).toEqual({
        name: 'scanner-1',
        owner: 'alice',
        thingName: 'iotp_alice_scanner-1',
        thingArn: arn('thing', 'iotp_alice_scanner-1'),
        attributes: { owner: 'alice', device: 'scanner-1' },
        certificate: {
          certificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
          certificateArn: arn('cert', certificateId),
          certificatePem: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
          notAfter: NOT_AFTER,
          status: 'ACTIVE',
        },
        mqtt: { ...awsMqttUrls(t.aws.iot.endpoint), region: 'eu-west-1', clientId: 'iotp_alice_scanner-1', topicPrefix: 'alice/scanner-1/' },
        createdAt: expect.any(String),
      });
      expect(t.aws.calls.map((call) => call.api)).toContain('CreateCertificateFromCsr');
      const snapshot = t.aws.snapshot();
      expect(snapshot.things).toContainEqual({ thingName: 'iotp_alice_scanner-1', attributes: { owner: 'alice', device: 'scanner-1' } });
      expect(snapshot.certificates).toContainEqual({ certificateId, status: 'ACTIVE' });
      expect(snapshot.policyAttachments).toContainEqual({ policyName: 'iotp_alice_scanner-1', target: arn('cert', certificateId) });
      expect(snapshot.thingPrincipals).toContainEqual({ thingName: 'iotp_alice_scanner-1', principal: arn('cert', certificateId) });
    });

    it('from an RSA CSR', async () => {
      t.aws.resetCalls();
      const response = await registerDevice(t, 'alice', { name: 'rsa-1', csr: createTestCsr({ keyType: 'rsa' }).csrPem });

      expect(response.status).toBe(201);
      expect(response.body.privateKey).toBeUndefined();
      expect(t.aws.countCalls('CreateCertificateFromCsr')).toBe(1);
      expect(t.aws.countCalls('CreateKeysAndCertificate')).toBe(0);
    });

    it('stores exactly the device policy: its own client id, and only its own topic subtree', async () => {
      const document = JSON.parse(await t.aws.iot.getPolicyDocument('iotp_alice_scanner-1'));
      const prefix = `arn:aws:iot:${t.aws.region}:${t.aws.accountId}`;
      expect(document).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'iot:Connect', Resource: `${prefix}:client/iotp_alice_scanner-1` },
          { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${prefix}:topic/alice/scanner-1/*` },
          { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${prefix}:topicfilter/alice/scanner-1/*` },
        ],
      });
    });

    it('keeps a device away from its sibling while the owner reaches both', async () => {
      const device: NamedPolicy = { policyName: 'iotp_alice_scanner-1', document: await t.aws.iot.getPolicyDocument('iotp_alice_scanner-1') };
      const owner: NamedPolicy = { policyName: 'iotp_alice', document: userPolicyDocument(scope, 'alice') };
      const allowed = (policy: NamedPolicy, action: IotAction, kind: IotResourceKind, resource: string) =>
        evaluate([policy], { action, resource: iotArn(scope, kind, resource), context: {} }).allowed;

      expect(allowed(device, 'iot:Connect', 'client', 'iotp_alice_scanner-1')).toBe(true);
      expect(allowed(device, 'iot:Publish', 'topic', 'alice/scanner-1/telemetry')).toBe(true);
      expect(allowed(device, 'iot:Subscribe', 'topicfilter', 'alice/scanner-1/commands')).toBe(true);
      expect(allowed(device, 'iot:Connect', 'client', 'iotp_alice_rsa-1')).toBe(false);
      expect(allowed(device, 'iot:Publish', 'topic', 'alice/rsa-1/telemetry')).toBe(false);
      expect(allowed(device, 'iot:Receive', 'topic', 'alice/rsa-1/telemetry')).toBe(false);
      expect(allowed(device, 'iot:Subscribe', 'topicfilter', 'alice/rsa-1/#')).toBe(false);
      expect(allowed(device, 'iot:Publish', 'topic', 'alice/inbox')).toBe(false);
      expect(allowed(owner, 'iot:Publish', 'topic', 'alice/scanner-1/commands')).toBe(true);
      expect(allowed(owner, 'iot:Receive', 'topic', 'alice/rsa-1/telemetry')).toBe(true);
    });

    it('without a CSR: AWS generates the keys, and the private key is in this one response and nowhere else', async () => {
      const response = await registerDevice(t, 'bob', { name: 'keyless' });

      expect(response.status).toBe(201);
      expect(t.aws.countCalls('CreateKeysAndCertificate')).toBe(1);
      const { privateKey } = response.body as { privateKey: string };
      expect(privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      const keyLines = privateKey.split('\n').filter((line) => line.length === 64);
      expect(keyLines.length).toBeGreaterThan(10);

      const database = await dumpDatabase(t);
      expect(database).toContain(response.body.certificate.certificateId);
      for (const line of keyLines) expect(database).not.toContain(line);
      const later = [
        await t.http.get('/v1/devices/iotp_bob_keyless').set('x-api-key', ADMIN_KEY),
        await t.http.get('/v1/users/bob/devices').set('x-api-key', ADMIN_KEY),
        await t.http.get('/v1/operations').set('x-api-key', ADMIN_KEY),
      ];
      for (const { status, text } of later) {
        expect(status).toBe(200);
        for (const line of keyLines) expect(text).not.toContain(line);
      }
      expect(later[0]!.body.privateKey).toBeUndefined();
    });

    it("composes names so that user a-b's device c and user a's device b-c never collide", async () => {
      const first = await registerDevice(t, 'a-b', { name: 'c', csr: createTestCsr().csrPem });
      const second = await registerDevice(t, 'a', { name: 'b-c', csr: createTestCsr().csrPem });

      expect([first.status, second.status]).toEqual([201, 201]);
      expect(first.body.thingName).toBe('iotp_a-b_c');
      expect(second.body.thingName).toBe('iotp_a_b-c');
      expect(first.body.mqtt).toMatchObject({ clientId: 'iotp_a-b_c', topicPrefix: 'a-b/c/' });
      expect(second.body.mqtt).toMatchObject({ clientId: 'iotp_a_b-c', topicPrefix: 'a/b-c/' });
      const { policies } = t.aws.snapshot();
      expect(policies).toEqual(expect.arrayContaining(['iotp_a-b_c', 'iotp_a_b-c']));
      const policyOfFirst = JSON.parse(await t.aws.iot.getPolicyDocument('iotp_a-b_c'));
      expect(JSON.stringify(policyOfFirst)).not.toContain('b-c');
    });

    it("adds the caller's one extra attribute next to owner and device", async () => {
      const response = await registerDevice(t, 'carol', { name: 'gate', csr: createTestCsr().csrPem, attributes: { site: 'lab-3' } });

      expect(response.status).toBe(201);
      expect(response.body.attributes).toEqual({ owner: 'carol', device: 'gate', site: 'lab-3' });
      expect(t.aws.snapshot().things).toContainEqual({ thingName: 'iotp_carol_gate', attributes: { owner: 'carol', device: 'gate', site: 'lab-3' } });
    });

    it.each([
      ['garbage', () => 'not a csr', /not one PEM block/],
      ['RSA 1024', () => createTestCsr({ keyType: 'rsa', modulusLength: 1024 }).csrPem, /RSA key has 1024 bits/],
      ['EC P-521', () => createTestCsr({ namedCurve: 'P-521' }).csrPem, /curve secp521r1/],
      ['a tampered signature', () => tamperedCsr(createTestCsr().csrPem), /signature does not verify/],
    ])('refuses %s as 400 INVALID_CSR with the reason, before any AWS call', async (_, csr, reason) => {
      t.aws.resetCalls();
      const response = await registerDevice(t, 'dave', { name: 'bad-csr', csr: csr() });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('INVALID_CSR');
      expect(response.body.message).toMatch(reason);
      expect(response.body.details.reason).toMatch(reason);
      expect(t.aws.calls).toEqual([]);
    });

    it("refuses a CSR longer than AWS's 4,096 characters as 400 before any AWS call", async () => {
      t.aws.resetCalls();
      const pem = createTestCsr().csrPem;
      const response = await registerDevice(t, 'dave', { name: 'long-csr', csr: pem + '\n'.repeat(4097 - pem.length) });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(response.body.details)).toContain('csr');
      expect(t.aws.calls).toEqual([]);
    });

    it('answers 409 when the owner already has a device of that name, creating nothing in AWS', async () => {
      const before = t.aws.snapshot();
      t.aws.resetCalls();
      const response = await registerDevice(t, 'alice', { name: 'scanner-1', csr: createTestCsr().csrPem });

      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'CONFLICT', details: { username: 'alice', name: 'scanner-1' } });
      // The MQTT endpoint was asked for by the first registration, once per process: no AWS call at all.
      expect(t.aws.calls).toEqual([]);
      expect(t.aws.snapshot()).toEqual(before);
    });

    it('answers 404 for an unknown owner, without an AWS call', async () => {
      t.aws.resetCalls();
      const response = await registerDevice(t, 'nobody', { name: 'x', csr: createTestCsr().csrPem });

      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'NOT_FOUND', details: { username: 'nobody' } });
      expect(t.aws.calls).toEqual([]);
    });

    it.each([
      ['an unsafe name', { name: 'Scanner_1' }, /name must be 1-48 characters/],
      ['a name with a separator', { name: 'a_b' }, /name must be/],
      ['two extra attributes', { name: 'x', attributes: { a: '1', b: '2' } }, /at most 1 entry/],
      ['an attribute overriding the owner', { name: 'x', attributes: { owner: 'mallory' } }, /attributes.owner is set by the service/],
      ['an unknown field', { name: 'x', thingName: 'iotp_mallory_x' }, /thingName/],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body, message) => {
      t.aws.resetCalls();
      const response = await registerDevice(t, 'dave', body as { name: string });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toMatch(message);
      expect(t.aws.calls).toEqual([]);
    });

    it('refuses a public key already registered, for another user or the same device, with 409 before any AWS call', async () => {
      const shared = createTestCsr().csrPem;
      const first = await registerDevice(t, 'carol', { name: 'shared-key', csr: shared });
      expect(first.status).toBe(201);
      t.aws.resetCalls();

      const other = await registerDevice(t, 'dave', { name: 'copycat', csr: shared });
      expect(other.status).toBe(409);
      expect(other.body).toMatchObject({ code: 'CONFLICT', details: { reason: 'PUBLIC_KEY_IN_USE' } });
      const rotation = await t.http.post('/v1/devices/iotp_carol_shared-key/certificates').set('x-api-key', ADMIN_KEY).send({ csr: shared });
      expect(rotation.status).toBe(409);
      expect(rotation.body.details).toEqual({ reason: 'PUBLIC_KEY_IN_USE' });
      expect(t.aws.calls).toEqual([]);
      expect((await t.http.get('/v1/users/dave/devices').set('x-api-key', ADMIN_KEY)).body.items.map((d: { name: string }) => d.name)).not.toContain(
        'copycat',
      );
      expect((await t.http.delete('/v1/devices/iotp_carol_shared-key').set('x-api-key', ADMIN_KEY)).status).toBe(204);
    });

    it('lets the unique index decide when two registrations with one key race, and undoes the loser', async () => {
      const shared = createTestCsr().csrPem;
      const [a, b] = await Promise.all([
        registerDevice(t, 'carol', { name: 'race-a', csr: shared }),
        registerDevice(t, 'dave', { name: 'race-b', csr: shared }),
      ]);
      expect([a.status, b.status].sort()).toEqual([201, 409]);
      const loser = a.status === 409 ? a : b;
      expect(loser.body.details).toEqual({ reason: 'PUBLIC_KEY_IN_USE' });
      const things = t.aws.snapshot().things.map((thing) => thing.thingName);
      expect(things.filter((name) => /race-[ab]$/.test(name))).toHaveLength(1);
      const winner = a.status === 201 ? a : b;
      expect((await t.http.delete(`/v1/devices/${winner.body.thingName}`).set('x-api-key', ADMIN_KEY)).status).toBe(204);
    });

    it('needs admin credentials', async () => {
      const anonymous = await t.http.post('/v1/users/dave/devices').send({ name: 'x' });
      const appUser = await t.http
        .post('/v1/users/dave/devices')
        .set('authorization', `Bearer ${t.aws.tokens.idToken({ sub: 'sub-dave', username: 'dave' })}`)
        .send({ name: 'x' });

      expect(anonymous.status).toBe(401);
      expect(appUser.status).toBe(403);
    });
  });

  describe('reading', () => {
    it('shows one device with its certificates, expiry and MQTT settings', async () => {
      const response = await t.http.get('/v1/devices/iotp_alice_scanner-1').set('x-api-key', ADMIN_KEY);

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        name: 'scanner-1',
        owner: 'alice',
        thingName: 'iotp_alice_scanner-1',
        certificates: [{ certificateId: expect.any(String), notAfter: NOT_AFTER, status: 'ACTIVE' }],
        mqtt: { ...awsMqttUrls(t.aws.iot.endpoint), region: 'eu-west-1', clientId: 'iotp_alice_scanner-1', topicPrefix: 'alice/scanner-1/' },
      });
    });

    it("lists a user's devices by name, page by page", async () => {
      const first = await t.http.get('/v1/users/alice/devices?limit=1').set('x-api-key', ADMIN_KEY);
      const second = await t.http.get(`/v1/users/alice/devices?limit=1&cursor=${first.body.nextCursor}`).set('x-api-key', ADMIN_KEY);

      expect(first.status).toBe(200);
      expect(first.body.items.map((d: { name: string }) => d.name)).toEqual(['rsa-1']);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      expect(second.body).toEqual({ items: [expect.objectContaining({ name: 'scanner-1' })], nextCursor: null });
    });

    it('shows the signed-in user only their own devices, with topic prefixes', async () => {
      const token = t.aws.tokens.idToken({ sub: 'sub-alice', username: 'alice' });
      const response = await t.http.get('/v1/me/devices').set('authorization', `Bearer ${token}`);

      expect(response.status).toBe(200);
      expect(response.body.nextCursor).toBeNull();
      expect(response.body.items.map((d: { owner: string; mqtt: { topicPrefix: string } }) => [d.owner, d.mqtt.topicPrefix])).toEqual([
        ['alice', 'alice/rsa-1/'],
        ['alice', 'alice/scanner-1/'],
      ]);
    });

    it('lists nothing for a token of another Cognito user under the same username (deleted and created again)', async () => {
      const successor = t.aws.tokens.idToken({ sub: 'sub-alice-the-second', username: 'alice' });
      const response = await t.http.get('/v1/me/devices').set('authorization', `Bearer ${successor}`);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ items: [], nextCursor: null });
    });

    it('gives a signed-in user without devices an empty list, and refuses a caller without a token', async () => {
      const token = t.aws.tokens.idToken({ sub: 'sub-dave', username: 'dave' });
      const empty = await t.http.get('/v1/me/devices').set('authorization', `Bearer ${token}`);
      const anonymous = await t.http.get('/v1/me/devices');

      expect(empty.body).toEqual({ items: [], nextCursor: null });
      expect(anonymous.status).toBe(401);
    });

    it('answers 404 for an unknown device or owner', async () => {
      const device = await t.http.get('/v1/devices/iotp_alice_nothing').set('x-api-key', ADMIN_KEY);
      const owner = await t.http.get('/v1/users/nobody/devices').set('x-api-key', ADMIN_KEY);

      expect(device.status).toBe(404);
      expect(device.body).toMatchObject({ code: 'NOT_FOUND', details: { thingName: 'iotp_alice_nothing' } });
      expect(owner.status).toBe(404);
    });
  });

  describe('deletion', () => {
    it('removes every device completely, leaving AWS empty; a second delete is 404', async () => {
      await registeredDevice(t, 'dave', 'extra');
      const thingNames = t.aws.snapshot().things.map((thing) => thing.thingName);
      expect(thingNames.length).toBe(await countDevices(t));

      for (const thingName of thingNames) {
        const response = await t.http.delete(`/v1/devices/${thingName}`).set('x-api-key', ADMIN_KEY);
        expect(response.status).toBe(204);
      }

      expect(t.aws.snapshot()).toMatchObject({ things: [], certificates: [], policies: [], policyAttachments: [], thingPrincipals: [] });
      expect(t.aws.isEmpty()).toBe(true);
      expect(await countDevices(t)).toBe(0);
      const again = await t.http.delete(`/v1/devices/${thingNames[0]}`).set('x-api-key', ADMIN_KEY);
      expect(again.status).toBe(404);
    });
  });
});
