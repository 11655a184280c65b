/**
 * The data-plane scenarios: real mqtt.js clients under the policies the service writes, signing
 * as AWS's SDKs sign. They talk only HTTP to the service and MQTT to the endpoint its `mqtt` blocks
 * name, so one runner points them at the local IoT Core (`npm test`) and another at AWS (`npm run test:live`).
 *
 * Refusals expected, as the README's broker section documents for MQTT 3.1.1: CONNECT refused →
 * CONNACK 5; PUBLISH without iot:Publish → the connection is closed; SUBSCRIBE without
 * iot:Subscribe → SUBACK 0x80, connection kept; a delivery without iot:Receive → never delivered.
 * "Never arrives" is asserted with a fence: an allowed message published after the forbidden one on
 * the same path, and the forbidden one must not have arrived before it.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllClients, closed, connected, refusal, subscribeCodes } from '../support/mqtt-clients.js';
import { Inbox, eventually } from './inbox.js';
import { ServiceClient, type DataPlaneTarget, type RegisteredDevice, type SignedInUser } from './service-client.js';

const NOT_AUTHORIZED = 5;
const SUBACK_FAILURE = 0x80;

export function describeDataPlane(title: string, start: () => Promise<DataPlaneTarget>, stop: () => Promise<void> = async () => undefined): void {
  describe(title, () => {
    let service: ServiceClient;
    let alice: SignedInUser;
    let bob: SignedInUser;
    let scanner: RegisteredDevice; // alice's
    let lamp: RegisteredDevice; // alice's, sibling of scanner
    let bobsPlug: RegisteredDevice;

    beforeAll(async () => {
      service = new ServiceClient(await start());
      [alice, bob] = await Promise.all([service.createUser('alice'), service.createUser('bob')]);
      scanner = await service.registerDevice(alice.username, 'scanner');
      lamp = await service.registerDevice(alice.username, 'lamp');
      bobsPlug = await service.registerDevice(bob.username, 'plug');
    });

    afterAll(async () => {
      await closeAllClients();
      // On AWS a detached policy may answer DeleteConflictException for up to 5 minutes; the deletion is then asked again.
      let failures: string[] = [];
      if (service) await eventually(async () => (failures = await service.cleanup()).length === 0, service.target.revocationWaitMs, 30_000);
      await stop();
      if (failures.length > 0) throw new Error(`cleanup left: ${failures.join('; ')}`);
    });

    /** A refused CONNECT: CONNACK 5 where the README says so; on AWS a TLS client may be cut during the handshake instead. */
    async function expectConnectRefused(client: MqttClient): Promise<void> {
      const answer = await refusal(client);
      if (service.target.strict) expect(answer).toBe(NOT_AUTHORIZED);
      else expect(answer).not.toBe(0);
    }

    async function expectPublishCloses(client: MqttClient, topic: string): Promise<void> {
      const cut = closed(client);
      client.publish(topic, 'forbidden', { qos: 0 });
      await cut;
    }

    const fence = (topic: string) => ({ topic, payload: `fence-${Math.random().toString(36).slice(2)}` });

    it('a user connects as itself (and as <user>.<suffix>) and publishes and receives on its own topics', async () => {
      const app = await connected(await service.openUser(alice));
      const inbox = new Inbox(app);
      expect(await subscribeCodes(app, `${alice.username}/inbox/#`, 1)).toEqual([1]);
      const tablet = await connected(await service.openUser(alice, `${alice.username}.tablet`));
      await tablet.publishAsync(`${alice.username}/inbox/hello`, 'hi', { qos: 1 });
      expect((await inbox.until((m) => m.payload === 'hi')).at(-1)).toEqual({ topic: `${alice.username}/inbox/hello`, payload: 'hi' });
      expect(alice.mqtt.clientId).toBe(alice.username);
      expect(alice.mqtt.topicPrefix).toBe(`${alice.username}/`);
    });

    it("a user is refused another's client id, and another's topics (SUBACK 0x80, kept; PUBLISH closes)", async () => {
      await expectConnectRefused(await service.openUser(alice, bob.username));
      await expectConnectRefused(await service.openUser(alice, scanner.thingName));
      const app = await connected(await service.openUser(alice));
      expect(await subscribeCodes(app, [`${bob.username}/#`, `${alice.username}/own`, '#'])).toEqual([SUBACK_FAILURE, 0, SUBACK_FAILURE]);
      expect(app.connected).toBe(true);
      await expectPublishCloses(app, `${bob.username}/inbox`);
    });

    it("user ↔ user: bob's app never sees alice's messages and cannot write into her space", async () => {
      const aliceApp = await connected(await service.openUser(alice, `${alice.username}.iso`));
      const aliceInbox = new Inbox(aliceApp);
      await aliceApp.subscribeAsync(`${alice.username}/chat/#`, { qos: 1 });
      const bobApp = await connected(await service.openUser(bob, `${bob.username}.iso`));
      const bobInbox = new Inbox(bobApp);
      expect(await subscribeCodes(bobApp, `${alice.username}/chat/#`, 1)).toEqual([SUBACK_FAILURE]);
      await bobApp.subscribeAsync(`${bob.username}/chat/#`, { qos: 1 });
      await aliceApp.publishAsync(`${alice.username}/chat/secret`, 'for alice', { qos: 1 });
      const bobFence = fence(`${bob.username}/chat/fence`);
      await bobApp.publishAsync(bobFence.topic, bobFence.payload, { qos: 1 });
      expect(await bobInbox.before(bobFence)).toEqual([]);
      expect((await aliceInbox.until((m) => m.payload === 'for alice')).map((m) => m.topic)).toEqual([`${alice.username}/chat/secret`]);
      await expectPublishCloses(bobApp, `${alice.username}/chat/intrusion`);
    });

    it('a device connects over mutual TLS as its thing name and uses <user>/<device>/...', async () => {
      expect(scanner.mqtt.clientId).toBe(scanner.thingName);
      expect(scanner.mqtt.topicPrefix).toBe(`${alice.username}/scanner/`);
      const device = await connected(await service.openDevice(scanner));
      const inbox = new Inbox(device);
      expect(await subscribeCodes(device, `${alice.username}/scanner/cmd/#`, 1)).toEqual([1]);
      await device.publishAsync(`${alice.username}/scanner/cmd/echo`, 'ping', { qos: 1 });
      expect((await inbox.until((m) => m.payload === 'ping')).at(-1)?.topic).toBe(`${alice.username}/scanner/cmd/echo`);
    });

    it('a device is refused a wrong client id, a foreign topic, and the bare <user>/ space', async () => {
      await expectConnectRefused(await service.openDevice(scanner, lamp.thingName));
      await expectConnectRefused(await service.openDevice(scanner, alice.username));
      const device = await connected(await service.openDevice(scanner));
      expect(await subscribeCodes(device, [`${alice.username}/inbox`, `${alice.username}/#`, `${bob.username}/plug/#`])).toEqual([
        SUBACK_FAILURE,
        SUBACK_FAILURE,
        SUBACK_FAILURE,
      ]);
      await expectPublishCloses(device, `${alice.username}/inbox`);
    });

    it('device ↔ device: siblings of one owner and devices of two owners are isolated', async () => {
      const lampClient = await connected(await service.openDevice(lamp));
      const lampInbox = new Inbox(lampClient);
      await lampClient.subscribeAsync(`${alice.username}/lamp/#`, { qos: 1 });
      const scannerClient = await connected(await service.openDevice(scanner));
      const plugClient = await connected(await service.openDevice(bobsPlug));
      expect(await subscribeCodes(scannerClient, `${alice.username}/lamp/#`)).toEqual([SUBACK_FAILURE]);
      expect(await subscribeCodes(plugClient, [`${alice.username}/lamp/#`, `${alice.username}/scanner/#`])).toEqual([SUBACK_FAILURE, SUBACK_FAILURE]);
      await expectPublishCloses(scannerClient, `${alice.username}/lamp/cmd`);
      await expectPublishCloses(plugClient, `${alice.username}/lamp/cmd`);
      const lampFence = fence(`${alice.username}/lamp/fence`);
      await lampClient.publishAsync(lampFence.topic, lampFence.payload, { qos: 1 });
      expect(await lampInbox.before(lampFence)).toEqual([]);
    });

    it("the owner's app receives its devices' messages and can command them", async () => {
      const app = await connected(await service.openUser(alice, `${alice.username}.owner`));
      const appInbox = new Inbox(app);
      expect(await subscribeCodes(app, `${alice.username}/+/telemetry`, 1)).toEqual([1]);
      const device = await connected(await service.openDevice(scanner));
      const deviceInbox = new Inbox(device);
      await device.subscribeAsync(`${alice.username}/scanner/cmd`, { qos: 1 });
      await device.publishAsync(`${alice.username}/scanner/telemetry`, '21.5', { qos: 1 });
      expect((await appInbox.until((m) => m.payload === '21.5')).at(-1)?.topic).toBe(`${alice.username}/scanner/telemetry`);
      await app.publishAsync(`${alice.username}/scanner/cmd`, 'blink', { qos: 1 });
      expect((await deviceInbox.until((m) => m.payload === 'blink')).at(-1)?.topic).toBe(`${alice.username}/scanner/cmd`);
    });

    /*
     * iot:Receive on delivery. The service's policies allow a device the filter `<user>/<device>/#`
     * (topicfilter `<user>/<device>/*`), and by MQTT's rules that filter also matches the parent topic
     * `<user>/<device>` itself, which the device may not receive (topic `<user>/<device>/*` needs the
     * slash) while its owner may publish there. No other filter the service allows reaches a foreign
     * topic: `#` and `+/...` are refused as filters (SUBACK 0x80 above).
     */
    it('iot:Receive is checked on delivery: a topic the filter matches but the policy does not let the device receive never arrives', async () => {
      const device = await connected(await service.openDevice(scanner));
      const inbox = new Inbox(device);
      expect(await subscribeCodes(device, `${alice.username}/scanner/#`, 1)).toEqual([1]);
      const app = await connected(await service.openUser(alice, `${alice.username}.receive`));
      await app.publishAsync(`${alice.username}/scanner`, 'not for the device', { qos: 1 });
      const receiveFence = fence(`${alice.username}/scanner/fence`);
      await app.publishAsync(receiveFence.topic, receiveFence.payload, { qos: 1 });
      expect(await inbox.before(receiveFence)).toEqual([]);
      expect(device.connected).toBe(true);
    });

    it('a disabled user cannot sign in, connect with its old credentials, or keep publishing', async () => {
      const carol = await service.createUser('carol');
      const app = await connected(await service.openUser(carol));
      const cut = closed(app);
      expect((await service.admin('POST', `/v1/users/${carol.username}/disable`)).status).toBe(204);
      // Disabling closes the user's live connections at once (DeleteConnection; the local broker does the same).
      if (service.target.revocationWaitMs === 0) await cut;
      expect((await service.signIn(carol.username)).status).toBeGreaterThanOrEqual(400);
      expect(
        await eventually(
          async () => (await refusal(await service.openUser(carol, `${carol.username}.again`))) !== 0,
          service.target.revocationWaitMs,
        ),
      ).toBe(true);
    });

    it('a revoked certificate closes its connection and cannot connect again', async () => {
      const dana = await service.createUser('dana');
      const sensor = await service.registerDevice(dana.username, 'sensor');
      const device = await connected(await service.openDevice(sensor));
      const cut = closed(device);
      const revoked = await service.admin('DELETE', `/v1/devices/${sensor.thingName}/certificates/${sensor.certificateId}?force=true`);
      expect(revoked.status).toBe(204);
      if (service.target.revocationWaitMs === 0) await cut;
      expect(await eventually(async () => (await refusal(await service.openDevice(sensor))) !== 0, service.target.revocationWaitMs)).toBe(true);
    });

    it('a deleted device is disconnected and cannot connect again', async () => {
      const erin = await service.createUser('erin');
      const tag = await service.registerDevice(erin.username, 'tag');
      const device = await connected(await service.openDevice(tag));
      const cut = closed(device);
      expect((await service.admin('DELETE', `/v1/devices/${tag.thingName}`)).status).toBe(204);
      if (service.target.revocationWaitMs === 0) await cut;
      expect(await eventually(async () => (await refusal(await service.openDevice(tag))) !== 0, service.target.revocationWaitMs)).toBe(true);
    });
  });
}
