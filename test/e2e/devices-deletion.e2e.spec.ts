import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserDeviceCleanup } from '../../src/devices/user-device-cleanup.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { awsError } from '../../src/local/local-runtime.js';
import { countDevices, insertUser } from '../support/factories.js';
import { registeredDevice } from '../support/http/devices.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

describe('device deletion', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    for (const username of ['alice', 'bob']) await insertUser(t, username);
  });
  afterEach(() => t.aws.faults.clear());
  afterAll(async () => t?.close());

  const deleteDevice = (thingName: string) => t.http.delete(`/v1/devices/${thingName}`).set('x-api-key', ADMIN_KEY);
  const rotate = (thingName: string) => t.http.post(`/v1/devices/${thingName}/certificates`).set('x-api-key', ADMIN_KEY).send({});

  it('works in the order AWS enforces: detach, deactivate, delete certificates, thing, policy', async () => {
    const { thingName } = await registeredDevice(t, 'alice', 'ordered');
    expect((await rotate(thingName)).status).toBe(201);
    t.aws.resetCalls();

    expect((await deleteDevice(thingName)).status).toBe(204);

    const mutations = t.aws.calls.map((call) => call.api).filter((api) => !api.startsWith('List'));
    expect(mutations).toEqual([
      'DetachThingPrincipal',
      'DetachThingPrincipal',
      'DetachPolicy',
      'DetachPolicy',
      'UpdateCertificate',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'DeletePolicy',
    ]);
    expect(t.aws.calls.filter((call) => call.api === 'UpdateCertificate').map((call) => call.input)).toEqual([
      expect.objectContaining({ newStatus: 'INACTIVE' }),
      expect.objectContaining({ newStatus: 'INACTIVE' }),
    ]);
    expect(t.aws.isEmpty()).toBe(true);
    expect(await countDevices(t)).toBe(0);
    expect((await deleteDevice(thingName)).status).toBe(404);
  });

  it.each(['DetachPolicy', 'UpdateCertificate', 'DeleteCertificate', 'DeleteThing'])(
    'finishes when repeated after a fault on %s, leaving AWS empty',
    async (api) => {
      const { thingName } = await registeredDevice(t, 'alice', 'flaky');
      t.aws.faults.inject({ api, error: 'throttle' });

      const failed = await deleteDevice(thingName);
      expect(failed.status).toBe(503);
      expect(failed.body.code).toBe('AWS_THROTTLED');
      expect(t.aws.isEmpty()).toBe(false);
      expect((await t.http.get(`/v1/devices/${thingName}`).set('x-api-key', ADMIN_KEY)).status).toBe(200);

      expect((await deleteDevice(thingName)).status).toBe(204);
      expect(t.aws.isEmpty()).toBe(true);
      expect(await countDevices(t)).toBe(0);
    },
  );

  it('answers 204 when only DeletePolicy fails, the device being gone, and recovery deletes the policy', async () => {
    const { thingName } = await registeredDevice(t, 'alice', 'last-step');
    t.aws.faults.inject({ api: 'DeletePolicy', error: 'throttle' });

    expect((await deleteDevice(thingName)).status).toBe(204);
    expect((await t.http.get(`/v1/devices/${thingName}`).set('x-api-key', ADMIN_KEY)).status).toBe(404);
    expect(t.aws.snapshot().policies).toEqual([thingName]);
    const operation = await t.app.get(PrismaService).operation.findFirstOrThrow({ where: { subject: `device:${thingName}`, kind: 'delete-device' } });
    expect(operation.status).toBe('RUNNING');
    expect((operation.steps as Array<{ name: string; status: string; error?: { message: string } }>).at(-1)).toMatchObject({
      name: 'deletePolicy',
      status: 'waiting',
      error: { code: 'CONFLICT' },
    });

    await t.app.get(PrismaService).operation.update({ where: { id: operation.id }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    await t.app.get(RecoveryService).recoverAll();
    expect(t.aws.isEmpty()).toBe(true);
    expect((await t.app.get(PrismaService).operation.findUniqueOrThrow({ where: { id: operation.id } })).status).toBe('COMPLETED');
  });

  it('waits out a detachment that AWS has not yet propagated (DetachThingPrincipal is asynchronous)', async () => {
    const { thingName } = await registeredDevice(t, 'alice', 'slow-detach');
    t.aws.faults.inject({
      api: 'DeleteCertificate',
      error: awsError('iot', 'DeleteCertificate', 'DeleteConflictException', 'Certificate is still attached'),
    });
    t.aws.faults.inject({
      api: 'DeleteThing',
      error: awsError('iot', 'DeleteThing', 'InvalidRequestException', 'Thing is still attached to one or more principals'),
    });
    t.aws.resetCalls();

    expect((await deleteDevice(thingName)).status).toBe(204);
    expect(t.aws.countCalls('DeleteCertificate')).toBe(2);
    expect(t.aws.countCalls('DeleteThing')).toBe(2);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('also removes what AWS holds beyond the rows: an extra certificate on the thing and extra policy versions', async () => {
    const { thingName } = await registeredDevice(t, 'alice', 'cluttered');
    const stray = await t.aws.iot.createKeysAndCertificate();
    await t.aws.iot.attachPolicy(thingName, stray.certificateArn);
    await t.aws.iot.attachThingPrincipal(thingName, stray.certificateArn);
    t.aws.iot.addPolicyVersion(thingName, JSON.stringify({ Version: '2012-10-17', Statement: [] }));

    expect((await deleteDevice(thingName)).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it("deletes every device of a user for the users feature, leaving other users' devices, and can run again", async () => {
    await registeredDevice(t, 'alice', 'one');
    await registeredDevice(t, 'alice', 'two');
    const bobs = await registeredDevice(t, 'bob', 'one');
    const cleanup = t.app.get(UserDeviceCleanup);

    await cleanup.deleteAllOfUser('alice');
    await cleanup.deleteAllOfUser('alice');
    await cleanup.deleteAllOfUser('nobody');

    expect((await t.http.get('/v1/users/alice/devices').set('x-api-key', ADMIN_KEY)).body.items).toEqual([]);
    expect(t.aws.snapshot().things.map((thing) => thing.thingName)).toEqual([bobs.thingName]);
    await cleanup.deleteAllOfUser('bob');
    expect(t.aws.isEmpty()).toBe(true);
    expect(await countDevices(t)).toBe(0);
  });

  it("finishes deleting a user's devices when called again after a fault", async () => {
    await registeredDevice(t, 'alice', 'one');
    await registeredDevice(t, 'alice', 'two');
    t.aws.faults.inject({ api: 'DeleteThing', error: 'unavailable', after: 1 });
    const cleanup = t.app.get(UserDeviceCleanup);

    await expect(cleanup.deleteAllOfUser('alice')).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
    expect(await countDevices(t)).toBe(1);

    await cleanup.deleteAllOfUser('alice');
    expect(t.aws.isEmpty()).toBe(true);
    expect(await countDevices(t)).toBe(0);
  });
});
