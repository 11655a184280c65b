import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { authorize } from '../../src/authorizer/authorizer.core.js';
import { LocalBroker, type BrokerAddresses } from '../../src/local/broker/local-broker.js';
import type { CustomAuthorizerRequest } from '../../src/local/data-plane.js';
import { userPolicyDocument } from '../../src/policy/documents.js';
import { FakeDataPlane } from '../support/fake-data-plane.js';
import { closeAllClients, closed, connected, nextMessage, open, refusal, subscribeCodes } from '../support/mqtt-clients.js';
import { TestCa, type IssuedCertificate } from '../support/test-ca.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let ca: TestCa;
let server: IssuedCertificate;
let authority: FakeDataPlane;
let broker: LocalBroker;
let addresses: BrokerAddresses;
let scheduled: Array<{ delayMs: number; run: () => void; cancelled: boolean }>;

beforeAll(() => {
  ca = new TestCa();
  server = ca.issueServer();
});

beforeEach(async () => {
  authority = new FakeDataPlane();
  // The project's authorizer core, over a token check that knows two users.
  const users: Record<string, string> = { 'alice-token': 'alice', 'bob-token': 'bob' };
  authority.authorizers.set('cognito', (request) =>
    authorize(request, {
      verifyToken: async (token) => {
        const username = users[token];
        if (!username) throw new Error('invalid token');
        return { username, sub: `${username}-sub`, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
      },
      isUserActive: async () => true,
      policyFor: async (username) => [userPolicyDocument(authority, username)],
    }),
  );
  scheduled = [];
  broker = new LocalBroker(authority);
  addresses = await broker.start({
    mqttsPort: 0,
    wsPort: 0,
    wssPort: 0,
    tls: { key: server.keyPem, cert: server.certificatePem, ca: ca.certificatePem },
    schedule: (delayMs, run) => {
      const entry = { delayMs, run, cancelled: false };
      scheduled.push(entry);
      return () => (entry.cancelled = true);
    },
  });
});

afterEach(async () => {
  await closeAllClients();
  await broker.stop();
});

function overMqtts(clientId: string, token: string, authorizer = 'cognito'): MqttClient {
  return open(`mqtts://127.0.0.1:${addresses.mqttsPort}`, {
    clientId,
    username: `${clientId}?x-amz-customauthorizer-name=${authorizer}&SDK=mqttjs`,
    password: token,
    ca: ca.certificatePem,
    rejectUnauthorized: true,
  });
}

describe('custom authorizer over MQTT (username and password)', () => {
  it('sends AWS’s authorizer request and applies the policies it answers', async () => {
    const client = await connected(overMqtts('alice', 'alice-token'));
    const request = authority.authorizerRequests[0]!;
    expect(request).toEqual<CustomAuthorizerRequest>({
      signatureVerified: false,
      protocols: ['tls', 'mqtt'],
      protocolData: {
        tls: {},
        mqtt: {
          clientId: 'alice',
          username: 'alice?x-amz-customauthorizer-name=cognito&SDK=mqttjs',
          password: Buffer.from('alice-token').toString('base64'),
        },
      },
      connectionMetadata: { id: expect.stringMatching(UUID) as unknown as string },
    });
    expect(await subscribeCodes(client, ['alice/#', 'bob/#'])).toEqual([0, 128]);
    const message = nextMessage(client);
    await client.publishAsync('alice/x', 'mine', { qos: 1 });
    expect(await message).toEqual({ topic: 'alice/x', payload: 'mine' });
    const gone = closed(client);
    client.publish('bob/x', 'theirs', { qos: 1 });
    await gone;
  });

  it('refuses a foreign client id, a rejected token and an unknown authorizer with CONNACK 5', async () => {
    expect(await refusal(overMqtts('bob', 'alice-token'))).toBe(5);
    expect(await refusal(overMqtts('alice', 'forged'))).toBe(5);
    expect(await refusal(overMqtts('alice', 'alice-token', 'nobody'))).toBe(5);
  });

  it('accepts policy documents answered as objects, and refuses answers AWS would reject', async () => {
    const document = userPolicyDocument(authority, 'carol');
    authority.authorizers.set('objects', async () => ({ isAuthenticated: true, principalId: 'carol', policyDocuments: [document] }));
    const client = await connected(overMqtts('carol', 'any', 'objects'));
    await client.publishAsync('carol/x', '1', { qos: 1 });

    authority.authorizers.set('denies', async () => ({ isAuthenticated: false, policyDocuments: [document] }));
    expect(await refusal(overMqtts('carol', 'any', 'denies'))).toBe(5);
    authority.authorizers.set('short', async () => ({
      isAuthenticated: true,
      principalId: 'c',
      policyDocuments: [document],
      disconnectAfterInSeconds: 10,
    }));
    expect(await refusal(overMqtts('carol', 'any', 'short'))).toBe(5);
    authority.authorizers.set('throws', async () => {
      throw new Error('lambda failed');
    });
    expect(await refusal(overMqtts('carol', 'any', 'throws'))).toBe(5);
  });

  it('closes the connection after disconnectAfterInSeconds', async () => {
    const document = JSON.stringify(userPolicyDocument(authority, 'alice'));
    authority.authorizers.set('five-minutes', async () => ({
      isAuthenticated: true,
      principalId: 'a',
      policyDocuments: [document],
      disconnectAfterInSeconds: 300,
    }));
    const client = await connected(overMqtts('alice', 'alice-token', 'five-minutes'));
    expect(scheduled.map((entry) => entry.delayMs)).toEqual([300 * 1000]);
    const gone = closed(client);
    scheduled[0]!.run();
    await gone;
  });

  it('cancels the pending disconnect when the client leaves first', async () => {
    const client = await connected(overMqtts('alice', 'alice-token'));
    const bye = new Promise<void>((resolve) => broker.once('disconnected', () => resolve()));
    await client.endAsync();
    await bye;
    expect(scheduled[0]!.cancelled).toBe(true);
  });
});

describe('custom authorizer over WebSocket', () => {
  it('reads the authorizer name and the iot-token from headers (plain WebSocket)', async () => {
    const client = await connected(
      open(`ws://127.0.0.1:${addresses.wsPort}/mqtt`, {
        clientId: 'alice',
        wsOptions: { headers: { 'x-amz-customauthorizer-name': 'cognito', 'iot-token': 'alice-token' } },
      }),
    );
    const request = authority.authorizerRequests[0]!;
    expect(request.token).toBe('alice-token');
    expect(request.protocols).toEqual(['http', 'mqtt']);
    expect(request.protocolData.http!.headers).toMatchObject({ 'x-amz-customauthorizer-name': 'cognito', 'iot-token': 'alice-token' });
    await client.publishAsync('alice/x', '1', { qos: 1 });
  });

  it('reads them from the query string (WebSocket over TLS)', async () => {
    const query = '?x-amz-customauthorizer-name=cognito&iot-token=bob-token';
    const client = await connected(
      open(`wss://127.0.0.1:${addresses.wssPort}/mqtt${query}`, { clientId: 'bob', ca: ca.certificatePem, rejectUnauthorized: true }),
    );
    const request = authority.authorizerRequests[0]!;
    expect(request.protocols).toEqual(['tls', 'http', 'mqtt']);
    expect(request.protocolData.http!.queryString).toBe(query);
    expect(request.token).toBe('bob-token');
    expect(await subscribeCodes(client, ['bob/#', 'alice/#'])).toEqual([0, 128]);
  });

  it('refuses a WebSocket with neither a signature nor an authorizer', async () => {
    expect(await refusal(open(`ws://127.0.0.1:${addresses.wsPort}/mqtt`, { clientId: 'alice' }))).toBe(5);
  });
});
