import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { DeviceOperations } from '../../../../src/devices/operations/device-operations.js';
import { deviceSubject } from '../../../../src/operations/subjects.js';
import { devicePolicyName, thingName } from '../../../../src/policy/names.js';
import { createTestCsr } from '../../../support/csr.js';
import { readyUser } from '../../../support/http/users.js';
import { readRows } from '../../../support/invariants.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';

describeFailureAtEachStep('register-device', {
  definition: (t) => t.app.get(DeviceOperations).registration,
  steps: [
    'checkName',
    'createPolicy',
    'createThing',
    'noteCertificateRequest',
    'createCertificate',
    'attachPolicy',
    'attachThingPrincipal',
    'insertRows',
  ],
  async setup(t, n) {
    const username = `reg-${n}`;
    await readyUser(t, username);
    const owner = (await readRows(t.config.database.url!)).users.find((row) => row.username === username)!;
    const prefix = t.config.resourcePrefix;
    const name = 'sensor';
    const thing = thingName(prefix, username, name);
    return {
      subject: deviceSubject(thing),
      params: {
        deviceId: randomUUID(),
        userId: owner.id,
        username,
        name,
        thingName: thing,
        policyName: devicePolicyName(prefix, username, name),
        attributes: { owner: username, device: name },
        csr: createTestCsr().csrPem,
      },
    };
  },
  async done(t, { params }) {
    const rows = await readRows(t.config.database.url!);
    expect(rows.devices.find((row) => row.thing_name === params.thingName)).toMatchObject({ id: params.deviceId });
    expect(rows.certificates.filter((row) => row.device_id === params.deviceId)).toHaveLength(1);
  },
});
