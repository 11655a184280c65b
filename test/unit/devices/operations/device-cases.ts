import { expect } from 'vitest';
import type { TestApp } from '../../../support/test-app.js';
import { registeredDevice } from '../../../support/http/devices.js';
import { readyUser } from '../../../support/http/users.js';
import { readRows } from '../../../support/invariants.js';

/** A user with one device registered from a CSR; its rows as the operations take them. */
export async function deviceOf(t: TestApp, username: string) {
  await readyUser(t, username);
  const { thingName, certificateId } = await registeredDevice(t, username, 'sensor');
  const rows = await readRows(t.config.database.url!);
  const device = rows.devices.find((row) => row.thing_name === thingName)!;
  return { thingName, certificateId, deviceId: device.id, policyName: device.policy_name };
}

export async function certificatesOf(t: TestApp, deviceId: string) {
  return (await readRows(t.config.database.url!)).certificates.filter((row) => row.device_id === deviceId);
}

export async function expectNoDevice(t: TestApp, thingName: string) {
  expect((await readRows(t.config.database.url!)).devices.filter((row) => row.thing_name === thingName)).toEqual([]);
  expect(t.aws.iot.snapshot().things.filter((thing) => thing.thingName === thingName)).toEqual([]);
  // A device's policy has its thing's name, and goes last.
  expect(t.aws.iot.snapshot().policies.filter((policy) => policy === thingName)).toEqual([]);
}
