import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SiteDeviceCleanup } from '../../src/devices/site-device-cleanup.js';
import { AWS_CERT_NOT_AFTER } from '../../src/local/x509.js';
import { siteDevicePolicyDocument } from '../../src/policy/documents.js';
import { createTestCsr } from '../support/csr.js';
import { insertSite, query } from '../support/factories.js';
import { admin } from '../support/http/admin.js';
import { registeredDevice, registeredSiteDevice, registerSiteDevice } from '../support/http/devices.js';
import { consistency } from '../support/invariants.js';
import { readyUser } from '../support/http/users.js';
import { awsMqttUrls } from '../support/mqtt-urls.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MAX_DEVICES_PER_SITE = 3;

describe("a site's devices over HTTP", () => {
  let t: TestApp;
  const sites = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_DEVICES_PER_SITE: String(MAX_DEVICES_PER_SITE) } });
    for (const site of ['dock', 'yard', 'full', 'pages', 'certs', 'gone', 'dock-b']) sites.set(site, await insertSite(t, site));
    await insertSite(t, 'closing', { deleting: true });
    await readyUser(t, 'dock');
  });
  afterEach(() => t.aws.faults.clear());
  afterAll(async () => t?.close());

  const arn = (kind: 'thing' | 'cert' | 'policy', name: string) => `arn:aws:iot:${t.aws.region}:${t.aws.accountId}:${kind}/${name}`;
  const names = (body: { items: Array<{ name: string }> }) => body.items.map((device) => device.name);

  describe('registration', () => {
    it("from a CSR: the site's thing, policy, certificate and both attachments, and where the device publishes and hears commands", async () => {
      const response = await registerSiteDevice(t, 'dock', { name: 'gate', csr: createTestCsr().csrPem });

      expect(response.status, JSON.stringify(response.body)).toBe(201);
      const { certificateId } = response.body.certificate;
      expect(response.body).toEqual({
        name: 'gate',
        owner: 'dock',
        site: 'dock',
        thingName: 'iotp-site_dock_gate',
        thingArn: arn('thing', 'iotp-site_dock_gate'),
        attributes: { site: 'dock', device: 'gate' },
        certificate: {
          certificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
          certificateArn: arn('cert', certificateId),
          certificatePem: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
          notAfter: AWS_CERT_NOT_AFTER.toISOString(),
          status: 'ACTIVE',
        },
        mqtt: {
          ...awsMqttUrls(t.aws.iot.endpoint),
          region: 'eu-west-1',
          clientId: 'iotp-site_dock_gate',
          topicPrefix: '_sites/dock/gate/',
          commandsPrefix: '_sites/dock/_cmd/gate/',
        },
        createdAt: expect.any(String),
      });
      const snapshot = t.aws.snapshot();
      expect(snapshot.things).toContainEqual({ thingName: 'iotp-site_dock_gate', attributes: { site: 'dock', device: 'gate' } });
      expect(snapshot.policyAttachments).toContainEqual({ policyName: 'iotp-site_dock_gate', target: arn('cert', certificateId) });
      expect(snapshot.thingPrincipals).toContainEqual({ thingName: 'iotp-site_dock_gate', principal: arn('cert', certificateId) });
      const scope = { region: t.aws.region, accountId: t.aws.accountId };
      expect(JSON.parse(await t.aws.iot.getPolicyDocument('iotp-site_dock_gate'))).toEqual(siteDevicePolicyDocument(scope, 'iotp', 'dock', 'gate'));
    });

    it('without a CSR: AWS generates the keys, and the private key is in this one response', async () => {
      t.aws.resetCalls();
      const response = await registerSiteDevice(t, 'dock', { name: 'keyless' });

      expect(response.status).toBe(201);
      expect(t.aws.countCalls('CreateKeysAndCertificate')).toBe(1);
      expect(response.body.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      expect((await admin(t).get('/v1/sites/dock/devices/keyless')).body.privateKey).toBeUndefined();
    });

    it("keeps site and user namespaces apart: site dock's gate, user dock's gate and site dock-b's gate are three devices", async () => {
      const user = await registeredDevice(t, 'dock', 'gate');
      const other = await registeredSiteDevice(t, 'dock-b', 'gate');

      expect(user.thingName).toBe('iotp_dock_gate');
      expect(other.thingName).toBe('iotp-site_dock-b_gate');
      const policyOfOther = await t.aws.iot.getPolicyDocument('iotp-site_dock-b_gate');
      expect(policyOfOther).not.toContain('_sites/dock/');
    });

    it("adds the caller's one extra attribute next to site and device", async () => {
      const response = await registerSiteDevice(t, 'yard', { name: 'crane', csr: createTestCsr().csrPem, attributes: { bay: 'b7' } });

      expect(response.status).toBe(201);
      expect(t.aws.snapshot().things).toContainEqual({ thingName: 'iotp-site_yard_crane', attributes: { site: 'yard', device: 'crane', bay: 'b7' } });
    });

    it.each([
      ['an attribute overriding the site', { name: 'x', attributes: { site: 'other' } }, /attributes.site is set by the service/],
      ['an attribute overriding the device', { name: 'x', attributes: { device: 'y' } }, /attributes.device is set by the service/],
      ['two extra attributes', { name: 'x', attributes: { a: '1', b: '2' } }, /at most 1 entry: .* site and device take 2/],
      ['an unsafe name', { name: 'Gate_1' }, /name must be 1-48 characters/],
    ])('refuses %s with 400 VALIDATION_FAILED, before any AWS call', async (_, body, message) => {
      t.aws.resetCalls();
      const response = await registerSiteDevice(t, 'yard', body as { name: string });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toMatch(message);
      expect(t.aws.calls).toEqual([]);
    });

    it('answers 404 in the error shape for a site that does not exist, without an AWS call', async () => {
      t.aws.resetCalls();
      const response = await registerSiteDevice(t, 'nowhere', { name: 'gate', csr: createTestCsr().csrPem });

      expect(response.status).toBe(404);
      expect(response.body).toEqual({ code: 'NOT_FOUND', message: 'Site not found', details: { site: 'nowhere' }, requestId: expect.any(String) });
      expect(t.aws.calls).toEqual([]);
    });

    it('refuses a site whose deletion started with 409 SITE_BEING_DELETED, without an AWS call', async () => {
      t.aws.resetCalls();
      const response = await registerSiteDevice(t, 'closing', { name: 'gate', csr: createTestCsr().csrPem });

      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'CONFLICT', details: { reason: 'SITE_BEING_DELETED', site: 'closing' } });
      expect(t.aws.calls).toEqual([]);
    });

    it('refuses a device whose site starts being deleted while it is created: the insert sees the mark, and the operation undoes itself', async () => {
      const id = await insertSite(t, 'racing');
      const stop = t.aws.onCall('AttachThingPrincipal', async () => {
        stop();
        await query(t, 'UPDATE sites SET deletion_started_at = now() WHERE id = $1', [id]);
      });
      const response = await registerSiteDevice(t, 'racing', { name: 'gate', csr: createTestCsr().csrPem });

      expect(response.status).toBe(409);
      expect(response.body.details).toMatchObject({ reason: 'SITE_BEING_DELETED', site: 'racing' });
      expect(t.aws.snapshot().things.map((thing) => thing.thingName)).not.toContain('iotp-site_racing_gate');
      expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
    });

    it('answers 409 when the site already has a device of that name, creating nothing', async () => {
      const before = t.aws.snapshot();
      t.aws.resetCalls();
      const response = await registerSiteDevice(t, 'dock', { name: 'gate', csr: createTestCsr().csrPem });

      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        code: 'CONFLICT',
        message: 'Site dock already has a device named gate',
        details: { site: 'dock', name: 'gate' },
      });
      expect(t.aws.calls).toEqual([]);
      expect(t.aws.snapshot()).toEqual(before);
    });

    it(`stops at MAX_DEVICES_PER_SITE (${MAX_DEVICES_PER_SITE} here) with 409 DEVICE_LIMIT`, async () => {
      for (let i = 1; i <= MAX_DEVICES_PER_SITE; i++) await registeredSiteDevice(t, 'full', `d${i}`);
      t.aws.resetCalls();
      const response = await registerSiteDevice(t, 'full', { name: 'one-more', csr: createTestCsr().csrPem });

      expect(response.status).toBe(409);
      expect(response.body.details).toEqual({ site: 'full', reason: 'DEVICE_LIMIT', limit: MAX_DEVICES_PER_SITE });
      expect(t.aws.calls).toEqual([]);
    });
  });

  describe('reading', () => {
    it("lists a site's devices by name, page by page, and only that site's", async () => {
      for (const name of ['c', 'a', 'b']) await registeredSiteDevice(t, 'pages', name);

      const first = await admin(t).get('/v1/sites/pages/devices?limit=2');
      expect(first.status).toBe(200);
      expect(names(first.body)).toEqual(['a', 'b']);
      const second = await admin(t).get(`/v1/sites/pages/devices?limit=2&cursor=${first.body.nextCursor}`);
      expect(names(second.body)).toEqual(['c']);
      expect(second.body.nextCursor).toBeNull();
      expect(second.body.items[0]).toMatchObject({ site: 'pages', mqtt: { topicPrefix: '_sites/pages/c/', commandsPrefix: '_sites/pages/_cmd/c/' } });
    });

    it('shows one device by site and name, and by thing name, alike', async () => {
      const bySite = await admin(t).get('/v1/sites/dock/devices/gate');
      const byThing = await admin(t).get('/v1/devices/iotp-site_dock_gate');

      expect(bySite.status).toBe(200);
      expect(bySite.body).toEqual(byThing.body);
      expect(bySite.body).toMatchObject({ name: 'gate', site: 'dock', certificates: [{ status: 'ACTIVE' }] });
    });

    it.each([
      ['an unknown site', '/v1/sites/nowhere/devices', { site: 'nowhere' }],
      ["an unknown site's device", '/v1/sites/nowhere/devices/gate', { site: 'nowhere' }],
      ['a device the site does not have', '/v1/sites/dock/devices/nothing', { thingName: 'iotp-site_dock_nothing' }],
    ])('answers 404 for %s', async (_, path, details) => {
      const response = await admin(t).get(path);

      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'NOT_FOUND', details });
    });

    it("a user's devices stay as they were: no site field, no commands prefix", async () => {
      const response = await admin(t).get('/v1/devices/iotp_dock_gate');

      expect(response.body).not.toHaveProperty('site');
      expect(response.body.mqtt).toEqual(expect.not.objectContaining({ commandsPrefix: expect.anything() }));
      expect(response.body.mqtt.topicPrefix).toBe('dock/gate/');
    });

    it("lets the dry-run check find a site's device under the document it was given", async () => {
      const check = (action: string, resource: string) =>
        admin(t)
          .post('/v1/authz/check')
          .send({ principal: { type: 'device', name: 'iotp-site_dock_gate' }, action, resource });

      expect((await check('publish', '_sites/dock/gate/scan')).body.allowed).toBe(true);
      expect((await check('subscribe', '_sites/dock/_cmd/gate/#')).body.allowed).toBe(true);
      expect((await check('publish', '_sites/dock/keyless/scan')).body.allowed).toBe(false);
      expect((await check('subscribe', '_sites/dock/#')).body.allowed).toBe(false);
    });
  });

  describe('certificates', () => {
    it('rotates and revokes through the site routes, keeping the last certificate unless forced', async () => {
      const { thingName, certificateId: old } = await registeredSiteDevice(t, 'certs', 'reader');
      const rotated = await admin(t).post('/v1/sites/certs/devices/reader/certificates').send({ csr: createTestCsr().csrPem });
      expect(rotated.status).toBe(201);
      const fresh = rotated.body.certificateId as string;
      expect(t.aws.snapshot().policyAttachments).toContainEqual({ policyName: thingName, target: arn('cert', fresh) });

      expect((await admin(t).delete(`/v1/sites/certs/devices/reader/certificates/${old}`)).status).toBe(204);
      const last = await admin(t).delete(`/v1/sites/certs/devices/reader/certificates/${fresh}`);
      expect(last.status).toBe(409);
      expect(last.body.details.reason).toBe('LAST_CERTIFICATE');
      expect((await admin(t).delete(`/v1/sites/certs/devices/reader/certificates/${fresh}?force=true`)).status).toBe(204);

      expect(t.aws.snapshot().certificates.map((certificate) => certificate.certificateId)).not.toEqual(expect.arrayContaining([old]));
      expect((await admin(t).get('/v1/sites/certs/devices/reader')).body.certificates).toEqual([]);
    });

    it("answers 404 for another site's device and for a certificate the device does not have", async () => {
      const { certificateId } = await registeredSiteDevice(t, 'certs', 'other');

      expect((await admin(t).post('/v1/sites/yard/devices/other/certificates').send({})).status).toBe(404);
      expect((await admin(t).delete(`/v1/sites/yard/devices/other/certificates/${certificateId}`)).status).toBe(404);
      expect((await admin(t).delete(`/v1/sites/certs/devices/reader/certificates/${certificateId}`)).status).toBe(404);
    });
  });

  describe('deletion', () => {
    it('removes the device completely, in AWS and in the rows; a second delete is 404', async () => {
      const { thingName, certificateId } = await registeredSiteDevice(t, 'yard', 'forklift');

      expect((await admin(t).delete('/v1/sites/yard/devices/forklift')).status).toBe(204);

      const snapshot = t.aws.snapshot();
      expect(snapshot.things.map((thing) => thing.thingName)).not.toContain(thingName);
      expect(snapshot.policies).not.toContain(thingName);
      expect(snapshot.certificates.map((certificate) => certificate.certificateId)).not.toContain(certificateId);
      expect((await admin(t).get('/v1/sites/yard/devices/forklift')).status).toBe(404);
      expect((await admin(t).delete('/v1/sites/yard/devices/forklift')).status).toBe(404);
    });

    it("deleting a site's devices (what a site deletion does first) removes every one of them and nothing of another site", async () => {
      for (const name of ['a', 'b']) await registeredSiteDevice(t, 'gone', name);
      const kept = (await admin(t).get('/v1/sites/yard/devices')).body.items.map((device: { thingName: string }) => device.thingName);

      await t.app.get(SiteDeviceCleanup).deleteSiteDevices({ id: sites.get('gone')!, name: 'gone' });

      expect(names((await admin(t).get('/v1/sites/gone/devices')).body)).toEqual([]);
      const things = t.aws.snapshot().things.map((thing) => thing.thingName);
      expect(things.filter((name) => name.startsWith('iotp-site_gone_'))).toEqual([]);
      expect(things).toEqual(expect.arrayContaining(kept));
      // Re-runnable: nothing left is nothing to do.
      await t.app.get(SiteDeviceCleanup).deleteSiteDevices({ id: sites.get('gone')!, name: 'gone' });
      expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
    });

    it("lets a site's devices be deleted while the site is being deleted", async () => {
      const id = await insertSite(t, 'leaving');
      await registeredSiteDevice(t, 'leaving', 'last');
      await query(t, 'UPDATE sites SET deletion_started_at = now() WHERE id = $1', [id]);

      expect((await admin(t).delete('/v1/sites/leaving/devices/last')).status).toBe(204);
    });
  });

  it("drift repair leaves a site's devices alone: their thing, policy and certificate are not orphans", async () => {
    const device = await registeredSiteDevice(t, 'dock', 'drift-safe');
    const before = t.aws.snapshot();

    const report = (await admin(t).get('/v1/admin/drift')).body;
    const named = JSON.stringify([...report.orphans, ...report.ghosts, ...report.unattachedCertificates]);
    expect(named).not.toContain('iotp-site_dock_drift-safe');
    expect(named).not.toContain(device.certificateId);
    expect((await admin(t).post('/v1/admin/drift/repair')).status).toBe(200);

    const after = t.aws.snapshot();
    expect(after.things.map((thing) => thing.thingName)).toContain('iotp-site_dock_drift-safe');
    expect(after.policies).toContain('iotp-site_dock_drift-safe');
    expect(after.certificates.map((certificate) => certificate.certificateId)).toEqual(
      before.certificates.map((certificate) => certificate.certificateId),
    );
  });
});
