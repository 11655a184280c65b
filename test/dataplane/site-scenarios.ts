/**
 * The data-plane scenarios of sites, in the same style and under the same rules as scenarios.ts:
 * real clients, HTTP to the service, MQTT to the endpoint its `mqtt` blocks name. A site's device
 * publishes under `_sites/<site>/<device>/` and hears only `_sites/<site>/_cmd/<device>/`; members
 * subscribe to `_sites/<site>/#`; only operators publish commands.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllClients, closed, connected, subscribeCodes } from '../support/mqtt-clients.js';
import { Inbox, eventually } from './inbox.js';
import { ServiceClient, type DataPlaneTarget, type RegisteredDevice, type SignedInUser } from './service-client.js';

const SUBACK_FAILURE = 0x80;

export function describeSiteDataPlane(title: string, start: () => Promise<DataPlaneTarget>, stop: () => Promise<void> = async () => undefined): void {
  describe(title, () => {
    let service: ServiceClient;
    let site: string;
    let mia: SignedInUser; // member
    let otto: SignedInUser; // operator
    let nina: SignedInUser; // in no site
    let gate: RegisteredDevice;
    let gate2: RegisteredDevice;

    beforeAll(async () => {
      service = new ServiceClient(await start());
      [mia, otto, nina] = await Promise.all(['mia', 'otto', 'nina'].map((name) => service.createUser(name)));
      site = await service.createSite('dock');
      await Promise.all([service.setMember(site, mia.username, 'member'), service.setMember(site, otto.username, 'operator')]);
      [gate, gate2] = await Promise.all([service.registerSiteDevice(site, 'gate'), service.registerSiteDevice(site, 'gate2')]);
    });

    afterAll(async () => {
      await closeAllClients();
      let failures: string[] = [];
      if (service) await eventually(async () => (failures = await service.cleanup()).length === 0, service.target.revocationWaitMs, 30_000);
      await stop();
      if (failures.length > 0) throw new Error(`cleanup left: ${failures.join('; ')}`);
    });

    const everything = () => `_sites/${site}/#`;
    const fence = (topic: string) => ({ topic, payload: `fence-${Math.random().toString(36).slice(2)}` });

    async function expectPublishCloses(client: MqttClient, topic: string): Promise<void> {
      const cut = closed(client);
      client.publish(topic, 'forbidden', { qos: 0 });
      await cut;
    }

    /** A device subscribed to its own commands, and what it receives. */
    async function listeningDevice(device: RegisteredDevice): Promise<{ client: MqttClient; inbox: Inbox }> {
      const client = await connected(await service.openDevice(device));
      const inbox = new Inbox(client);
      expect(await subscribeCodes(client, `${device.mqtt.commandsPrefix}#`, 1)).toEqual([1]);
      return { client, inbox };
    }

    it("a site's device connects as its thing name and is told its topics", () => {
      expect(gate.thingName).toBe(`${service.target.resourcePrefix}-site_${site}_gate`);
      expect(gate.mqtt).toMatchObject({ clientId: gate.thingName, topicPrefix: `_sites/${site}/gate/`, commandsPrefix: `_sites/${site}/_cmd/gate/` });
    });

    it("a site's device publishes and every member's app receives it; a user in no site may not subscribe", async () => {
      const apps = await Promise.all([mia, otto].map(async (user) => connected(await service.openUser(user, `${user.username}.site`))));
      const inboxes = apps.map((app) => new Inbox(app));
      for (const app of apps) expect(await subscribeCodes(app, everything(), 1)).toEqual([1]);
      const outsider = await connected(await service.openUser(nina, `${nina.username}.site`));
      expect(await subscribeCodes(outsider, [everything(), `_sites/${site}/gate/#`])).toEqual([SUBACK_FAILURE, SUBACK_FAILURE]);
      expect(outsider.connected).toBe(true);

      const device = await connected(await service.openDevice(gate));
      await device.publishAsync(`${gate.mqtt.topicPrefix}scan`, 'pallet-17', { qos: 1 });
      for (const inbox of inboxes) {
        expect((await inbox.until((m) => m.payload === 'pallet-17')).at(-1)).toEqual({ topic: `_sites/${site}/gate/scan`, payload: 'pallet-17' });
      }
    });

    it("an operator's command reaches the device it names, and only that one", async () => {
      const [first, second] = await Promise.all([listeningDevice(gate), listeningDevice(gate2)]);
      const operator = await connected(await service.openUser(otto, `${otto.username}.cmd`));
      await operator.publishAsync(`${gate.mqtt.commandsPrefix}open`, 'open', { qos: 1 });
      expect((await first.inbox.until((m) => m.payload === 'open')).at(-1)?.topic).toBe(`_sites/${site}/_cmd/gate/open`);
      const secondFence = fence(`${gate2.mqtt.commandsPrefix}fence`);
      await operator.publishAsync(secondFence.topic, secondFence.payload, { qos: 1 });
      expect(await second.inbox.before(secondFence)).toEqual([]);
    });

    it("a site's device is refused other devices' topics and commands, and the site's whole space", async () => {
      const device = await connected(await service.openDevice(gate));
      expect(await subscribeCodes(device, [`${gate2.mqtt.commandsPrefix}#`, everything(), `${gate2.mqtt.topicPrefix}#`])).toEqual([
        SUBACK_FAILURE,
        SUBACK_FAILURE,
        SUBACK_FAILURE,
      ]);
      await expectPublishCloses(device, `${gate2.mqtt.topicPrefix}scan`);
      await expectPublishCloses(await connected(await service.openDevice(gate)), `${gate2.mqtt.commandsPrefix}open`);
    });

    it('a member who is not an operator may not command a device, nor publish as one: the connection is closed', async () => {
      const { inbox } = await listeningDevice(gate);
      await expectPublishCloses(await connected(await service.openUser(mia, `${mia.username}.cmd`)), `${gate.mqtt.commandsPrefix}open`);
      await expectPublishCloses(await connected(await service.openUser(mia, `${mia.username}.fake`)), `${gate.mqtt.topicPrefix}scan`);
      const operator = await connected(await service.openUser(otto, `${otto.username}.fence`));
      const commandFence = fence(`${gate.mqtt.commandsPrefix}fence`);
      await operator.publishAsync(commandFence.topic, commandFence.payload, { qos: 1 });
      expect(await inbox.before(commandFence)).toEqual([]);
    });

    it('a user in no site may not command its devices', async () => {
      const { inbox } = await listeningDevice(gate2);
      await expectPublishCloses(await connected(await service.openUser(nina, `${nina.username}.cmd`)), `${gate2.mqtt.commandsPrefix}open`);
      const operator = await connected(await service.openUser(otto, `${otto.username}.fence2`));
      const commandFence = fence(`${gate2.mqtt.commandsPrefix}fence`);
      await operator.publishAsync(commandFence.topic, commandFence.payload, { qos: 1 });
      expect(await inbox.before(commandFence)).toEqual([]);
    });

    it('a removed member is disconnected, and refused the site from then on', async () => {
      const rex = await service.createUser('rex');
      await service.setMember(site, rex.username, 'member');
      const app = await connected(await service.openUser(rex));
      const inbox = new Inbox(app);
      expect(await subscribeCodes(app, everything(), 1)).toEqual([1]);
      const device = await connected(await service.openDevice(gate));
      await device.publishAsync(`${gate.mqtt.topicPrefix}scan`, 'before removal', { qos: 1 });
      await inbox.until((m) => m.payload === 'before removal');

      const cut = closed(app);
      await service.removeMember(site, rex.username);
      // Removal closes the member's live connections (DeleteConnection; the local broker does the same).
      if (service.target.revocationWaitMs === 0) await cut;
      const refused = await eventually(async () => {
        const again = await connected(await service.openUser(rex, `${rex.username}.again`));
        const codes = await subscribeCodes(again, everything());
        await again.endAsync(true);
        return codes[0] === SUBACK_FAILURE;
      }, service.target.revocationWaitMs);
      expect(refused).toBe(true);
    });
  });
}
