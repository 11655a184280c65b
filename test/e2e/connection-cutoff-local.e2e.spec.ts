import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSandbox } from '../../src/local/local-sandbox.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { startLocalService, type LocalService } from '../dataplane/local-service.js';
import { ServiceClient } from '../dataplane/service-client.js';
import { closeAllClients, closed, connected, subscribeCodes } from '../support/mqtt-clients.js';

/** Generous: the local broker closes a connection within milliseconds; this only bounds a test that would otherwise hang. */
const CLOSE_TIMEOUT_MS = 10_000;
const SUBACK_FAILURE = 0x80;

/**
 * The immediate cut-off in local mode, end to end: the real app over the local IoT Core, real
 * mqtt.js clients on its broker, the changes made through the HTTP API. A detached policy closes
 * nothing by itself in the local broker (it reads policies again for every packet), so a user's
 * connection that closes was closed through DeleteConnection (IotConnectionsPort).
 */
describe('immediate cut-off against the local IoT Core', () => {
  let local: LocalService;
  let service: ServiceClient;

  beforeAll(async () => {
    local = await startLocalService('cut');
    service = new ServiceClient(local.target);
  });
  afterAll(async () => {
    await closeAllClients();
    await service?.cleanup();
    await local?.stop();
  });

  /** The closeConnections step's report of the newest operation of this kind on this subject. */
  async function cutoffReport(kind: string, subject: string) {
    const list = await service.admin('GET', '/v1/operations?limit=100');
    const operation = (
      list.body.items as Array<{ kind: string; subject: string; status: string; steps: Array<{ name: string; output?: object }> }>
    ).find((item) => item.kind === kind && item.subject === subject);
    expect(operation?.status).toBe('COMPLETED');
    return (operation?.steps.find((step) => step.name === 'closeConnections')?.output as { connections?: unknown } | undefined)?.connections;
  }

  it("disabling a user closes its app's connections, <user>.<suffix> ones too", async () => {
    const ann = await service.createUser('ann');
    const app = await connected(await service.openUser(ann));
    const tablet = await connected(await service.openUser(ann, `${ann.username}.tablet`));
    const cut = [closed(app, CLOSE_TIMEOUT_MS), closed(tablet, CLOSE_TIMEOUT_MS)];

    expect((await service.admin('POST', `/v1/users/${ann.username}/disable`)).status).toBe(204);

    await Promise.all(cut);
    expect(await cutoffReport('disable-user', `user:${ann.username}`)).toEqual({ closed: [ann.username], notConnected: [], pending: [] });
  });

  it("deleting a device closes the device's connection and leaves its owner's app connected", async () => {
    const ben = await service.createUser('ben');
    const kettle = await service.registerDevice(ben.username, 'kettle');
    const device = await connected(await service.openDevice(kettle));
    const app = await connected(await service.openUser(ben));
    const cut = closed(device, CLOSE_TIMEOUT_MS);

    expect((await service.admin('DELETE', `/v1/devices/${kettle.thingName}`)).status).toBe(204);

    await cut;
    expect(await subscribeCodes(app, `${ben.username}/inbox`)).toEqual([0]);
  });

  it('revoking a certificate closes the connection made with it', async () => {
    const cat = await service.createUser('cat');
    const lamp = await service.registerDevice(cat.username, 'lamp');
    const device = await connected(await service.openDevice(lamp));
    const cut = closed(device, CLOSE_TIMEOUT_MS);

    const revoked = await service.admin('DELETE', `/v1/devices/${lamp.thingName}/certificates/${lamp.certificateId}?force=true`);
    expect(revoked.status).toBe(204);

    await cut;
  });

  it("deleting a user closes its app's and its devices' connections", async () => {
    const dan = await service.createUser('dan');
    const plug = await service.registerDevice(dan.username, 'plug');
    const app = await connected(await service.openUser(dan));
    const device = await connected(await service.openDevice(plug));
    const cut = [closed(app, CLOSE_TIMEOUT_MS), closed(device, CLOSE_TIMEOUT_MS)];

    expect((await service.admin('DELETE', `/v1/users/${dan.username}`)).status).toBe(204);
    service.forget(dan.username);

    await Promise.all(cut);
  });

  it('a DeleteConnection that keeps failing leaves the app connected, and recovery closes it later', async () => {
    const eve = await service.createUser('eve');
    const app = await connected(await service.openUser(eve));
    local.app.app.get(LocalSandbox).runtime.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });

    expect((await service.admin('POST', `/v1/users/${eve.username}/disable`)).status).toBe(204);

    expect(await cutoffReport('disable-user', `user:${eve.username}`)).toEqual({
      closed: [],
      notConnected: [],
      pending: [{ clientId: eve.username, code: 'AWS_UNAVAILABLE' }],
    });
    // Still open, its access gone: SUBSCRIBE is refused and the connection kept, as the broker does without iot:Subscribe.
    expect(await subscribeCodes(app, `${eve.username}/inbox`)).toEqual([SUBACK_FAILURE]);

    const cut = closed(app, CLOSE_TIMEOUT_MS);
    // As time passing would: the retry is due now.
    await local.app.app.get(PrismaService).pendingCutoff.updateMany({ data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    await local.app.app.get(RecoveryService).recoverAll();
    await cut;
    expect(await local.app.app.get(PrismaService).pendingCutoff.count()).toBe(0);
  });
});
