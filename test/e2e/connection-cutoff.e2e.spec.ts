import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCsr } from '../support/csr.js';
import { admin } from '../support/http/admin.js';
import { registeredDevice } from '../support/http/devices.js';
import { signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Step {
  name: string;
  status: string;
  output?: { connections?: { closed: string[]; notConnected: string[]; failed: Array<{ clientId: string; code: string }> } };
}

describe('immediate cut-off: live MQTT connections closed through DeleteConnection', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.aws.faults.clear());
  afterAll(async () => t?.close());

  /** The closeConnections step of the newest operation of this kind on this subject. */
  async function cutoffStep(kind: string, subject: string): Promise<Step | undefined> {
    const list = await admin(t).get('/v1/operations?limit=100');
    const operation = (list.body.items as Array<{ kind: string; subject: string; status: string; steps: Step[] }>).find(
      (item) => item.kind === kind && item.subject === subject,
    );
    expect(operation?.status).toBe('COMPLETED');
    return operation?.steps.find((step) => step.name === 'closeConnections');
  }
  const asked = (from: number) => t.aws.connections.calls.slice(from);

  it("disabling a user closes the user's connection, keeping its session for a later enable", async () => {
    await readyUser(t, 'alice');
    expect((await signIn(t, 'alice')).status).toBe(200);
    t.aws.connections.connect('alice');
    t.aws.connections.connect('alice.tablet');
    const from = t.aws.connections.calls.length;

    expect((await admin(t).post('/v1/users/alice/disable')).status).toBeLessThan(300);

    expect(asked(from)).toEqual([{ clientId: 'alice', cleanSession: false, preventWillMessage: false }]);
    expect(t.aws.connections.isConnected('alice')).toBe(false);
    // AWS lists no connections by prefix: a <user>.<suffix> client keeps its connection until AWS's policy cache expires.
    expect(t.aws.connections.isConnected('alice.tablet')).toBe(true);
    expect((await cutoffStep('disable-user', 'user:alice'))?.output?.connections).toEqual({ closed: ['alice'], notConnected: [], failed: [] });
  });

  it("deleting a device closes the device's connection and drops its session", async () => {
    await readyUser(t, 'bob');
    const { thingName } = await registeredDevice(t, 'bob', 'kettle');
    t.aws.connections.connect(thingName);
    const from = t.aws.connections.calls.length;

    expect((await admin(t).delete(`/v1/devices/${thingName}`)).status).toBe(204);

    expect(asked(from)).toEqual([{ clientId: thingName, cleanSession: true, preventWillMessage: false }]);
    expect(t.aws.connections.isConnected(thingName)).toBe(false);
    expect(t.aws.connections.hasSession(thingName)).toBe(false);
  });

  it("revoking a certificate closes the device's connection, keeping its session for the other certificate", async () => {
    await readyUser(t, 'carol');
    const { thingName, certificateId } = await registeredDevice(t, 'carol', 'lamp');
    expect((await admin(t).post(`/v1/devices/${thingName}/certificates`).send({ csr: createTestCsr().csrPem })).status).toBe(201);
    t.aws.connections.connect(thingName);
    const from = t.aws.connections.calls.length;

    expect((await admin(t).delete(`/v1/devices/${thingName}/certificates/${certificateId}`)).status).toBe(204);

    expect(asked(from)).toEqual([{ clientId: thingName, cleanSession: false, preventWillMessage: false }]);
    expect(t.aws.connections.hasSession(thingName)).toBe(true);
  });

  it("deleting a user closes each device's connection and the user's own", async () => {
    await readyUser(t, 'dave');
    const one = await registeredDevice(t, 'dave', 'one');
    const two = await registeredDevice(t, 'dave', 'two');
    for (const clientId of ['dave', one.thingName, two.thingName]) t.aws.connections.connect(clientId);
    const from = t.aws.connections.calls.length;

    expect((await admin(t).delete('/v1/users/dave')).status).toBe(204);

    expect(asked(from).map((call) => call.clientId)).toEqual([one.thingName, two.thingName, 'dave']);
    expect(asked(from).every((call) => call.cleanSession)).toBe(true);
    for (const clientId of ['dave', one.thingName, two.thingName]) expect(t.aws.connections.isConnected(clientId)).toBe(false);
  });

  it('a DeleteConnection that fails is retried, and one that keeps failing is reported without failing the operation', async () => {
    await readyUser(t, 'erin');
    const retried = await registeredDevice(t, 'erin', 'retried');
    const failing = await registeredDevice(t, 'erin', 'failing');
    t.aws.connections.connect(retried.thingName);
    t.aws.connections.connect(failing.thingName);

    t.aws.faults.inject({ api: 'DeleteConnection', error: 'throttle', times: 1 });
    expect((await admin(t).delete(`/v1/devices/${retried.thingName}`)).status).toBe(204);
    expect(t.aws.connections.calls.filter((call) => call.clientId === retried.thingName)).toHaveLength(2);
    expect(t.aws.connections.isConnected(retried.thingName)).toBe(false);

    t.aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });
    const deletion = await admin(t).delete(`/v1/devices/${failing.thingName}`);
    expect(deletion.status).toBe(204);
    expect((await admin(t).get(`/v1/devices/${failing.thingName}`)).status).toBe(404);
    expect(t.aws.connections.calls.filter((call) => call.clientId === failing.thingName)).toHaveLength(3);
    const step = await cutoffStep('delete-device', `device:${failing.thingName}`);
    expect(step).toMatchObject({
      status: 'done',
      output: { connections: { closed: [], notConnected: [], failed: [{ clientId: failing.thingName, code: 'AWS_UNAVAILABLE' }] } },
    });
  });
});
