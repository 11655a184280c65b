import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { LocalBroker, type BrokerAddresses, type BrokerRefusal } from '../../src/local/broker/local-broker.js';
import { FakeDataPlane, policy } from '../support/fake-data-plane.js';
import { deviceSdkUrl, presignerUrl, type SigningCredentials } from '../support/iot-websocket-url.js';
import { closeAllClients, closed, connected, nextMessage, open, refusal, subscribeCodes } from '../support/mqtt-clients.js';
import { TestCa, type IssuedCertificate } from '../support/test-ca.js';

let ca: TestCa;
let server: IssuedCertificate;
let authority: FakeDataPlane;
let broker: LocalBroker;
let addresses: BrokerAddresses;
let refusals: BrokerRefusal[];

beforeAll(() => {
  ca = new TestCa();
  server = ca.issueServer();
});

beforeEach(async () => {
  authority = new FakeDataPlane();
  broker = new LocalBroker(authority);
  refusals = [];
  addresses = await broker.start({
    log: (entry) => refusals.push(entry),
    mqttsPort: false,
    wsPort: 0,
    wssPort: 0,
    tls: { key: server.keyPem, cert: server.certificatePem, ca: ca.certificatePem },
  });
});

afterEach(async () => {
  await closeAllClients();
  await broker.stop();
});

let keys = 0;
/** Credentials vended to an identity that holds the project's user-policy shape for `username`. */
function appUser(username: string, expiresInMs = 3600_000) {
  const identityId = `eu-west-1:00000000-0000-0000-0000-${String(++keys).padStart(12, '0')}`;
  const credentials: SigningCredentials & { sessionToken: string } = {
    accessKeyId: `ASIALOCAL${keys}`,
    secretAccessKey: `secret-${keys}/+=`,
    sessionToken: `token-${keys}/+=%&`,
  };
  authority.vended.set(credentials.accessKeyId, {
    secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken,
    identityId,
    expiration: new Date(Date.now() + expiresInMs),
  });
  authority.policies.set(identityId, [
    policy(
      { action: 'iot:Connect', resource: [authority.arn('client', username), authority.arn('client', `${username}.*`)] },
      { action: ['iot:Publish', 'iot:Receive'], resource: authority.arn('topic', `${username}/*`) },
      { action: 'iot:Subscribe', resource: authority.arn('topicfilter', `${username}/*`) },
    ),
  ]);
  return { identityId, credentials };
}

function overWebSocket(url: string, clientId: string, tls: boolean): MqttClient {
  const port = tls ? addresses.wssPort : addresses.wsPort;
  return open(`${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/mqtt`, {
    clientId,
    ca: ca.certificatePem,
    rejectUnauthorized: true,
    // As AWS's samples do with mqtt.js: hand it the presigned URL unchanged.
    transformWsUrl: () => url,
  });
}

function signed(credentials: SigningCredentials, tls: boolean, date = new Date()): string {
  const port = tls ? addresses.wssPort : addresses.wsPort;
  return deviceSdkUrl({ credentials, region: authority.region, host: `127.0.0.1:${port}`, scheme: tls ? 'wss' : 'ws', date });
}

describe.each([
  ['plain WebSocket', false],
  ['WebSocket over TLS', true],
] as const)('MQTT over %s with SigV4', (_, tls) => {
  it('lets a user connect as itself and publish and receive on its own topics', async () => {
    const { credentials } = appUser('alice');
    const client = await connected(overWebSocket(signed(credentials, tls), 'alice.phone', tls));
    expect(await subscribeCodes(client, 'alice/inbox', 1)).toEqual([1]);
    const message = nextMessage(client);
    await client.publishAsync('alice/inbox', 'hi', { qos: 1 });
    expect(await message).toEqual({ topic: 'alice/inbox', payload: 'hi' });
  });

  it('refuses a foreign client id, a foreign subscription and a foreign publish', async () => {
    const { credentials } = appUser('alice');
    appUser('bob');
    expect(await refusal(overWebSocket(signed(credentials, tls), 'bob', tls))).toBe(5);
    const client = await connected(overWebSocket(signed(credentials, tls), 'alice', tls));
    expect(await subscribeCodes(client, ['bob/#', 'alice/#'])).toEqual([128, 0]);
    const gone = closed(client);
    client.publish('bob/inbox', 'hi', { qos: 1 });
    await gone;
  });
});

describe('SigV4 refusals at the WebSocket upgrade', () => {
  it('accepts the SigV4 presigner URL with the token signed', async () => {
    const { credentials } = appUser('alice');
    const url = await presignerUrl({ credentials, region: authority.region, host: `127.0.0.1:${addresses.wssPort}`, scheme: 'wss' });
    await connected(overWebSocket(url, 'alice', true));
  });

  it('refuses expired credentials, an unknown key, a wrong signature and a skewed date', async () => {
    const expired = appUser('alice', -1000).credentials;
    const valid = appUser('carol').credentials;
    const urls = [
      signed(expired, false),
      signed({ ...valid, accessKeyId: 'ASIAUNKNOWN' }, false),
      signed({ ...valid, secretAccessKey: 'wrong' }, false),
      signed(valid, false, new Date(Date.now() - 6 * 60_000)),
      signed({ ...valid, sessionToken: 'not-the-token' }, false),
    ];
    for (const url of urls) {
      expect(await upgradeStatus(url)).toBe(403);
      await expect(connected(overWebSocket(url, 'carol', false))).rejects.toThrow();
    }
    expect(await upgradeStatus(signed(valid, false))).toBe(101);
    expect(refusals.filter((entry) => entry.event === 'upgrade-refused').map((entry) => entry.reason.split(':')[0])).toEqual(
      ['EXPIRED_CREDENTIALS', 'UNKNOWN_KEY', 'BAD_SIGNATURE', 'SKEWED', 'TOKEN_MISMATCH'].flatMap((refusal) => [
        `SigV4 ${refusal}`,
        `SigV4 ${refusal}`,
      ]),
    );
    expect(JSON.stringify(refusals)).not.toContain(valid.secretAccessKey);
  });

  it('refuses a user without any IoT policy even though the role allows', async () => {
    const { identityId, credentials } = appUser('alice');
    authority.policies.delete(identityId);
    expect(await refusal(overWebSocket(signed(credentials, false), 'alice', false))).toBe(5);
  });

  it('allows only what both the role policy and the IoT policy allow', async () => {
    const { identityId, credentials } = appUser('alice');
    authority.policies.set(identityId, [policy({ action: 'iot:*', resource: '*' })]);
    authority.rolePolicy = policy(
      { action: 'iot:Connect', resource: authority.arn('client', '*') },
      { action: ['iot:Publish', 'iot:Receive'], resource: authority.arn('topic', 'alice/*') },
      { action: 'iot:Subscribe', resource: authority.arn('topicfilter', 'alice/*') },
      { effect: 'Deny', action: 'iot:Publish', resource: authority.arn('topic', 'alice/forbidden') },
    );
    const client = await connected(overWebSocket(signed(credentials, false), 'anything', false));
    expect(await subscribeCodes(client, ['alice/#', 'bob/#'])).toEqual([0, 128]);
    await client.publishAsync('alice/ok', '1', { qos: 1 });
    const gone = closed(client);
    client.publish('alice/forbidden', '1', { qos: 1 });
    await gone;
  });

  it('applies an explicit Deny in the IoT policy over the role', async () => {
    const { identityId, credentials } = appUser('alice');
    authority.policies.set(identityId, [
      ...authority.policyDocuments(identityId),
      policy({ effect: 'Deny', action: 'iot:Subscribe', resource: authority.arn('topicfilter', 'alice/secret') }),
    ]);
    const client = await connected(overWebSocket(signed(credentials, false), 'alice', false));
    expect(await subscribeCodes(client, ['alice/secret', 'alice/public'])).toEqual([128, 0]);
  });

  it('denies the next packet once the credentials are forgotten (a disabled user)', async () => {
    const { credentials } = appUser('alice');
    const client = await connected(overWebSocket(signed(credentials, false), 'alice', false));
    authority.vended.delete(credentials.accessKeyId);
    const gone = closed(client);
    client.publish('alice/inbox', 'hi', { qos: 1 });
    await gone;
  });

  it('closes the connections of an identity on request', async () => {
    const alice = appUser('alice');
    const bob = appUser('bob');
    const phone = await connected(overWebSocket(signed(alice.credentials, false), 'alice.phone', false));
    const tablet = await connected(overWebSocket(signed(alice.credentials, true), 'alice.tablet', true));
    const other = await connected(overWebSocket(signed(bob.credentials, false), 'bob', false));
    const gone = Promise.all([closed(phone), closed(tablet)]);
    expect(await broker.closeConnections({ identityId: alice.identityId })).toBe(2);
    await gone;
    expect(other.connected).toBe(true);
  });

  it('answers 404 off /mqtt', async () => {
    const { credentials } = appUser('alice');
    const url = signed(credentials, false).replace('/mqtt?', '/other?');
    expect(await upgradeStatus(url)).toBe(404);
  });
});

/** The HTTP status the upgrade gets: 101 when the WebSocket opens. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'mqtt', { ca: ca.certificatePem });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}
