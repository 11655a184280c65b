import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IotPort } from '../../src/aws/iot.port.js';
import { BrokerTls, DataPlaneAuthority } from '../../src/local/data-plane.js';
import { LocalSandbox, type SandboxStateData } from '../../src/local/local-sandbox.js';
import { createTestCsr } from '../support/csr.js';
import { deviceSdkUrl } from '../support/iot-websocket-url.js';
import { closeAllClients, closed, connected, nextMessage, open, refusal, subscribeCodes } from '../support/mqtt-clients.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

/** A port the OS just handed out: the app must know its own address before it listens, to fetch its JWKS from itself. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The real app in local mode over a test database, with no fakes bound: it plays Cognito and AWS
 * IoT itself, verifies its own tokens through its own JWKS route, and keeps its state on disk.
 */
describe('local mode over HTTP', () => {
  let t: TestApp;
  let stateDir: string;
  let mqtt: { mqtts: number; wss: number; ws: number };
  const admin = () => ({
    post: (path: string) => t.http.post(path).set('x-api-key', ADMIN_KEY),
    delete: (path: string) => t.http.delete(path).set('x-api-key', ADMIN_KEY),
  });

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'iotp-local-mode-'));
    const port = await freePort();
    mqtt = { mqtts: await freePort(), wss: await freePort(), ws: await freePort() };
    t = await startTestApp({
      aws: false,
      env: {
        AWS_MODE: 'local',
        LOCAL_STATE_DIR: stateDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOCAL_MQTT_PORT: String(mqtt.mqtts),
        LOCAL_MQTT_WSS_PORT: String(mqtt.wss),
        LOCAL_MQTT_WS_PORT: String(mqtt.ws),
      },
    });
    await t.app.listen(port, '127.0.0.1');
  });
  afterAll(async () => {
    await closeAllClients();
    await t?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const savedState = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as SandboxStateData;

  it('binds the sandbox, not the SDK adapters, and says so in readiness', async () => {
    expect(t.app.get(IotPort)).toBe(t.app.get(LocalSandbox).iot);
    expect(t.app.get(DataPlaneAuthority)).toBeDefined();
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.aws).toMatchObject({ status: 'up', mode: 'local' });
  });

  it('creates a user, signs in through the challenge, vends credentials, registers a device from a CSR, and cleans up', async () => {
    const created = await admin().post('/v1/users').send({ username: 'alice', temporaryPassword: 'Temp-Passw0rd!' });
    expect(created.status).toBe(201);

    const challenge = await t.http.post('/v1/sessions').send({ username: 'alice', password: 'Temp-Passw0rd!' });
    expect(challenge.body).toMatchObject({ challenge: 'NEW_PASSWORD_REQUIRED' });
    const session = await t.http
      .post('/v1/sessions/challenge')
      .send({ username: 'alice', session: challenge.body.session, newPassword: 'Alice-Passw0rd!' });
    expect(session.status).toBe(200);
    const mqttOfUser = {
      endpoint: '127.0.0.1',
      websocketUrl: `wss://127.0.0.1:${mqtt.wss}/mqtt`,
      mqttsUrl: `mqtts://127.0.0.1:${mqtt.mqtts}`,
      region: 'us-east-1',
    };
    expect(session.body.mqtt).toEqual({ ...mqttOfUser, clientId: 'alice', topicPrefix: 'alice/' });
    const { idToken } = session.body.tokens as { idToken: string };

    // The bearer route verifies the ID token against the JWKS the service serves.
    const credentials = await t.http.get('/v1/sessions/credentials').set('authorization', `Bearer ${idToken}`);
    expect(credentials.status).toBe(200);
    expect(credentials.body.identityId).toBe(session.body.identityId);
    const authority = t.app.get(DataPlaneAuthority);
    expect(authority.credentials(credentials.body.credentials.accessKeyId)).toMatchObject({
      identityId: session.body.identityId,
      secretAccessKey: credentials.body.credentials.secretAccessKey,
    });
    expect(authority.policyDocuments(session.body.identityId as string)).toHaveLength(1);

    // The app connects over WebSocket with TLS, SigV4-signed with the vended credentials, and uses its own topics only.
    const caPem = (await t.http.get('/v1/mqtt/ca')).text;
    const signedUrl = () =>
      deviceSdkUrl({ credentials: credentials.body.credentials, region: 'us-east-1', host: `127.0.0.1:${mqtt.wss}`, scheme: 'wss' });
    const app = await connected(open(credentials.body.mqtt.websocketUrl as string, { clientId: 'alice', ca: caPem, transformWsUrl: signedUrl }));
    expect(await subscribeCodes(app, ['alice/inbox', 'bob/inbox'])).toEqual([0, 128]);
    const received = nextMessage(app);
    await app.publishAsync('alice/inbox', 'hello');
    expect(await received).toEqual({ topic: 'alice/inbox', payload: 'hello' });
    expect(await refusal(open(credentials.body.mqtt.websocketUrl as string, { clientId: 'bob', ca: caPem, transformWsUrl: signedUrl }))).not.toBe(0);

    const csr = createTestCsr({ commonName: 'scanner-1' });
    const device = await admin().post('/v1/users/alice/devices').send({ name: 'scanner-1', csr: csr.csrPem });
    expect(device.status).toBe(201);
    expect(device.body.mqtt).toEqual({ ...mqttOfUser, clientId: 'iotp_alice_scanner-1', topicPrefix: 'alice/scanner-1/' });
    const certificate = new X509Certificate(device.body.certificate.certificatePem as string);
    expect(device.body.certificate.certificateId).toBe(createHash('sha256').update(certificate.raw).digest('hex'));

    const ca = await t.http.get('/v1/mqtt/ca');
    expect(ca.status).toBe(200);
    expect(ca.headers['content-type']).toMatch(/application\/x-pem-file/);
    const caCertificate = new X509Certificate(ca.text);
    expect(certificate.checkIssued(caCertificate) && certificate.verify(caCertificate.publicKey)).toBe(true);
    expect(new X509Certificate(t.app.get(BrokerTls).serverTls().cert).verify(caCertificate.publicKey)).toBe(true);
    expect(authority.certificate(device.body.certificate.certificateId as string)).toMatchObject({ status: 'ACTIVE' });
    expect(authority.thingsOf(device.body.certificate.certificateArn as string)).toEqual([
      { thingName: 'iotp_alice_scanner-1', attributes: { owner: 'alice', device: 'scanner-1' } },
    ]);
    expect(savedState().iot.things.map((thing) => thing.thingName)).toEqual(['iotp_alice_scanner-1']);

    // The device connects to the local broker over mutual TLS with that certificate, trusting the CA it was given.
    const client = await connected(
      open(device.body.mqtt.mqttsUrl as string, {
        clientId: 'iotp_alice_scanner-1',
        key: csr.privateKeyPem,
        cert: certificate.toString(),
        ca: ca.text,
      }),
    );
    const cut = closed(client);
    expect((await admin().delete('/v1/devices/iotp_alice_scanner-1')).status).toBe(204);
    await cut; // deleting the device closed its open connection
    const appCut = closed(app);
    expect((await admin().delete('/v1/users/alice')).status).toBe(204);
    await appCut; // deleting the user's identity closed the app's connection

    const state = savedState();
    expect(state.iot).toEqual({ things: [], policies: [], certificates: [], policyTargets: [], thingPrincipals: [] });
    expect(state.userPool.users).toEqual([]);
    expect(state.identityPool.identities).toEqual([]);
    expect(state.identityPool.credentials).toEqual([]);
    expect(authority.credentials(credentials.body.credentials.accessKeyId)).toBeUndefined();
    expect((await t.http.get('/v1/sessions/credentials').set('authorization', `Bearer ${idToken}`)).status).not.toBe(200);
    expect(JSON.stringify(state)).not.toContain('Passw0rd');
    const logs = t.logs.text();
    for (const secret of [
      'Temp-Passw0rd!',
      'Alice-Passw0rd!',
      idToken,
      credentials.body.credentials.secretAccessKey,
      credentials.body.credentials.sessionToken,
    ]) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toMatch(/PRIVATE KEY/);
  });
});
