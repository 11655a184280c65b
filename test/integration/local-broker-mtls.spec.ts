import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalBroker, type BrokerAddresses, type BrokerRefusal } from '../../src/local/broker/local-broker.js';
import { FakeDataPlane, policy } from '../support/fake-data-plane.js';
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
    mqttsPort: 0,
    wsPort: false,
    wssPort: false,
    tls: { key: server.keyPem, cert: server.certificatePem, ca: ca.certificatePem },
  });
});

afterEach(async () => {
  await closeAllClients();
  await broker.stop();
});

/** A device certificate registered ACTIVE with the project's device-policy shape. */
function device(thingName: string, status: 'ACTIVE' | 'INACTIVE' | 'REVOKED' = 'ACTIVE') {
  const certificate = ca.issueClient(thingName);
  const certificateArn = authority.addCertificate(certificate.certificateId, status);
  authority.policies.set(certificateArn, [
    policy(
      { action: 'iot:Connect', resource: authority.arn('client', thingName) },
      { action: ['iot:Publish', 'iot:Receive'], resource: authority.arn('topic', `${thingName}/*`) },
      { action: 'iot:Subscribe', resource: authority.arn('topicfilter', `${thingName}/*`) },
    ),
  ]);
  return { ...certificate, certificateArn };
}

function connectDevice(certificate: IssuedCertificate, clientId: string, options: Record<string, unknown> = {}) {
  return open(`mqtts://127.0.0.1:${addresses.mqttsPort}`, {
    clientId,
    key: certificate.keyPem,
    cert: certificate.certificatePem,
    ca: ca.certificatePem,
    rejectUnauthorized: true,
    ...options,
  });
}

describe('MQTT over TLS with client certificates', () => {
  it('lets a device connect as itself and publish and receive on its own topics', async () => {
    const cert = device('lamp');
    const client = await connected(connectDevice(cert, 'lamp'));
    const granted = await client.subscribeAsync('lamp/state', { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
    const message = nextMessage(client);
    await client.publishAsync('lamp/state', 'on', { qos: 1 });
    expect(await message).toEqual({ topic: 'lamp/state', payload: 'on' });
  });

  it('refuses a foreign client id with CONNACK 5 (not authorized)', async () => {
    const cert = device('lamp');
    device('kettle');
    expect(await refusal(connectDevice(cert, 'kettle'))).toBe(5);
  });

  it('closes the connection on a forbidden PUBLISH and delivers nothing', async () => {
    device('kettle');
    const kettleCert = device('kettle');
    const kettle = await connected(connectDevice(kettleCert, 'kettle'));
    await kettle.subscribeAsync('kettle/#');
    const lamp = await connected(connectDevice(device('lamp'), 'lamp'));
    const gone = closed(lamp);
    const received = nextMessage(kettle);
    lamp.publish('kettle/cmd', 'boil', { qos: 1 });
    await gone;
    // The kettle's own message arrives first: the lamp's never reached it.
    await kettle.publishAsync('kettle/cmd', 'own', { qos: 1 });
    expect(await received).toEqual({ topic: 'kettle/cmd', payload: 'own' });
  });

  it('answers a forbidden SUBSCRIBE with SUBACK 0x80 and keeps the connection', async () => {
    const client = await connected(connectDevice(device('lamp'), 'lamp'));
    expect(await subscribeCodes(client, ['kettle/#', 'lamp/#', '#'])).toEqual([128, 0, 128]);
    expect(client.connected).toBe(true);
  });

  it('never delivers a message to a subscriber that may subscribe but not receive it', async () => {
    const watcher = ca.issueClient('watcher');
    const watcherArn = authority.addCertificate(watcher.certificateId);
    authority.policies.set(watcherArn, [
      policy(
        { action: 'iot:Connect', resource: authority.arn('client', 'watcher') },
        { action: 'iot:Subscribe', resource: authority.arn('topicfilter', 'lamp/*') },
        { action: 'iot:Receive', resource: authority.arn('topic', 'lamp/public') },
      ),
    ]);
    const subscriber = await connected(connectDevice(watcher, 'watcher'));
    expect((await subscriber.subscribeAsync('lamp/#'))[0]!.qos).toBe(0);
    const lamp = await connected(connectDevice(device('lamp'), 'lamp'));
    const first = nextMessage(subscriber);
    await lamp.publishAsync('lamp/private', 'secret', { qos: 1 });
    await lamp.publishAsync('lamp/public', 'hello', { qos: 1 });
    expect(await first).toEqual({ topic: 'lamp/public', payload: 'hello' });
    expect(refusals).toContainEqual({
      event: 'delivery-withheld',
      clientId: 'watcher',
      topic: 'lamp/private',
      reason: 'no iot:Receive on the topic',
    });
  });

  it('needs iot:RetainPublish for a retained message', async () => {
    const lamp = await connected(connectDevice(device('lamp'), 'lamp'));
    const gone = closed(lamp);
    lamp.publish('lamp/state', 'on', { qos: 1, retain: true });
    await gone;
  });

  it.each(['INACTIVE', 'REVOKED'] as const)('refuses a %s certificate', async (status) => {
    expect(await refusal(connectDevice(device('lamp', status), 'lamp'))).toBe(5);
  });

  it('refuses a certificate the sandbox never registered, and one from another CA', async () => {
    expect(await refusal(connectDevice(ca.issueClient('lamp'), 'lamp'))).toBe(5);
    const foreign = new TestCa().issueClient('lamp');
    authority.addCertificate(foreign.certificateId);
    expect(await refusal(connectDevice(foreign, 'lamp'))).toBe(5);
  });

  it('refuses a client without a certificate', async () => {
    const client = open(`mqtts://127.0.0.1:${addresses.mqttsPort}`, { clientId: 'lamp', ca: ca.certificatePem, rejectUnauthorized: true });
    expect(await refusal(client)).toBe(5);
  });

  it('applies a revocation and a detached policy to the next packet of a live connection', async () => {
    const cert = device('lamp');
    const client = await connected(connectDevice(cert, 'lamp'));
    await client.publishAsync('lamp/state', 'on', { qos: 1 });
    authority.certificates.set(cert.certificateId, { certificateArn: cert.certificateArn, status: 'REVOKED' });
    const gone = closed(client);
    client.publish('lamp/state', 'again', { qos: 1 });
    await gone;

    const other = device('kettle');
    const kettle = await connected(connectDevice(other, 'kettle'));
    authority.policies.delete(other.certificateArn);
    expect(await subscribeCodes(kettle, 'kettle/#')).toEqual([128]);
  });

  describe('thing policy variables', () => {
    function thingPolicyDevice() {
      const cert = ca.issueClient('thing-user');
      const certificateArn = authority.addCertificate(cert.certificateId);
      authority.policies.set(certificateArn, [
        policy(
          { action: 'iot:Connect', resource: authority.arn('client', '*') },
          { action: 'iot:Publish', resource: authority.arn('topic', 'things/${iot:Connection.Thing.ThingName}/*') },
          { action: 'iot:Publish', resource: authority.arn('topic', 'fleets/${iot:Connection.Thing.Attributes[fleet]}/*') },
        ),
      ]);
      authority.things.set(certificateArn, [{ thingName: 'sensor-1', attributes: { fleet: 'blue' } }]);
      return cert;
    }

    it('resolve when the client id is the name of a thing attached to the certificate', async () => {
      const client = await connected(connectDevice(thingPolicyDevice(), 'sensor-1'));
      await client.publishAsync('things/sensor-1/data', '1', { qos: 1 });
      await client.publishAsync('fleets/blue/data', '1', { qos: 1 });
      expect(client.connected).toBe(true);
    });

    it('do not resolve for another client id, even the name of a thing attached elsewhere', async () => {
      const cert = thingPolicyDevice();
      const elsewhere = ca.issueClient('other');
      authority.things.set(authority.addCertificate(elsewhere.certificateId), [{ thingName: 'sensor-2', attributes: { fleet: 'blue' } }]);
      for (const clientId of ['sensor-2', 'not-a-thing']) {
        const client = await connected(connectDevice(cert, clientId));
        const gone = closed(client);
        client.publish(`fleets/blue/data`, '1', { qos: 1 });
        await gone;
        const again = await connected(connectDevice(cert, clientId));
        const goneAgain = closed(again);
        again.publish(`things/${clientId}/data`, '1', { qos: 1 });
        await goneAgain;
      }
    });
  });

  it('honours the IsAttached condition: connect only as a thing attached to the certificate', async () => {
    const cert = ca.issueClient('attached');
    const certificateArn = authority.addCertificate(cert.certificateId);
    authority.policies.set(certificateArn, [
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: authority.arn('client', '*'),
            Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
          },
        ],
      }),
    ]);
    authority.things.set(certificateArn, [{ thingName: 'sensor-1', attributes: {} }]);
    await connected(connectDevice(cert, 'sensor-1'));
    expect(await refusal(connectDevice(cert, 'sensor-2'))).toBe(5);
  });

  it('disconnects the first connection when a second one uses the same client id', async () => {
    const cert = device('lamp');
    const first = await connected(connectDevice(cert, 'lamp'));
    const gone = closed(first);
    const second = await connected(connectDevice(cert, 'lamp'));
    await gone;
    expect(second.connected).toBe(true);
  });

  it('does not let a refused connection take over a connected client id', async () => {
    const lampCert = device('lamp');
    const lamp = await connected(connectDevice(lampCert, 'lamp'));
    expect(await refusal(connectDevice(device('kettle'), 'lamp'))).toBe(5);
    await lamp.publishAsync('lamp/state', 'still here', { qos: 1 });
  });

  it('closes the connections of a certificate on request and counts them', async () => {
    const cert = device('lamp');
    const client = await connected(connectDevice(cert, 'lamp'));
    const other = await connected(connectDevice(device('kettle'), 'kettle'));
    const gone = closed(client);
    expect(await broker.closeConnections({ certificateId: cert.certificateId })).toBe(1);
    await gone;
    expect(other.connected).toBe(true);
    expect(await broker.closeConnections({ clientId: 'kettle' })).toBe(1);
    expect(await broker.closeConnections({})).toBe(0);
  });

  it('publishes a permitted Last Will when the broker closes a connection', async () => {
    const lampCert = device('lamp');
    const watcher = await connected(connectDevice(lampCert, 'lamp'));
    await watcher.subscribeAsync('lamp/#');
    const kettleCert = device('kettle');
    authority.policies.set(kettleCert.certificateArn, [
      ...authority.policyDocuments(kettleCert.certificateArn),
      policy({ action: 'iot:Publish', resource: authority.arn('topic', 'lamp/status') }),
    ]);
    await connected(
      connectDevice(kettleCert, 'kettle', { will: { topic: 'lamp/status', payload: Buffer.from('kettle gone'), qos: 1, retain: false } }),
    );
    const will = nextMessage(watcher);
    expect(await broker.closeConnections({ clientId: 'kettle' })).toBe(1);
    expect(await will).toEqual({ topic: 'lamp/status', payload: 'kettle gone' });
  });

  it('refuses a client id over 128 bytes (CONNACK 2) and topics beyond 256 bytes or 7 slashes', async () => {
    const long = 'l'.repeat(129);
    expect(await refusal(connectDevice(device(long), long))).toBe(2);
    const cert = ca.issueClient('wide');
    const arn = authority.addCertificate(cert.certificateId);
    authority.policies.set(arn, [policy({ action: 'iot:*', resource: ['*'] })]);
    const client = await connected(connectDevice(cert, 'wide'));
    expect(await subscribeCodes(client, ['a/b/c/d/e/f/g/h', 'a/b/c/d/e/f/g/h/i', `t/${'x'.repeat(255)}`])).toEqual([0, 128, 128]);
    await client.publishAsync('a/b/c/d/e/f/g/h', 'ok', { qos: 1 });
    const gone = closed(client);
    client.publish('a/b/c/d/e/f/g/h/i', 'too deep', { qos: 1 });
    await gone;
  });

  it('speaks MQTT 3.1.1 only: an MQTT 5 CONNECT is refused', async () => {
    const client = connectDevice(device('lamp'), 'lamp', { protocolVersion: 5 });
    expect(await refusal(client)).toBe(1);
  });
});
