import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { DeviceOperations } from '../../../../src/devices/operations/device-operations.js';
import { deviceSubject } from '../../../../src/operations/subjects.js';
import { devicePolicyName, siteThingName, thingName } from '../../../../src/policy/names.js';
import { createTestCsr } from '../../../support/csr.js';
import { insertSite } from '../../../support/factories.js';
import { readyUser } from '../../../support/http/users.js';
import { readRows } from '../../../support/invariants.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';

const STEPS = [
  'checkName',
  'createPolicy',
  'createThing',
  'noteCertificateRequest',
  'createCertificate',
  'attachPolicy',
  'attachThingPrincipal',
  'insertRows',
];

describeFailureAtEachStep('register-device', {
  definition: (t) => t.app.get(DeviceOperations).registration,
  steps: STEPS,
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
        owner: { kind: 'user' as const, id: owner.id, name: username },
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

describeFailureAtEachStep("register-device for a site's device", {
  definition: (t) => t.app.get(DeviceOperations).registration,
  steps: STEPS,
  async setup(t, n) {
    const site = `dock-${n}`;
    const id = await insertSite(t, site);
    const name = 'gate';
    const thing = siteThingName(t.config.resourcePrefix, site, name);
    return {
      subject: deviceSubject(thing),
      params: {
        deviceId: randomUUID(),
        owner: { kind: 'site' as const, id, name: site },
        name,
        thingName: thing,
        policyName: thing,
        attributes: { site, device: name },
        csr: createTestCsr().csrPem,
      },
    };
  },
  async done(t, { params }) {
    const rows = await readRows(t.config.database.url!);
    expect(rows.devices.find((row) => row.thing_name === params.thingName)).toMatchObject({ id: params.deviceId, user_id: null });
    expect(rows.certificates.filter((row) => row.device_id === params.deviceId)).toHaveLength(1);
    expect(t.aws.snapshot().things).toContainEqual({ thingName: params.thingName, attributes: { site: params.owner.name, device: 'gate' } });
  },
});
