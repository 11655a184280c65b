import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicesRepository, type NewDevice, type OwnerKey } from '../../src/devices/devices.repository.js';
import { OperationsRepository } from '../../src/operations/operations.repository.js';
import { userSubject } from '../../src/operations/subjects.js';
import { insertUser, query } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The registration's final write: one statement that checks the owner and inserts the device with its first certificate. */
describe('DevicesRepository.create', () => {
  let t: TestApp;
  let devices: DevicesRepository;
  let n = 0;

  beforeAll(async () => {
    t = await startTestApp();
    devices = t.app.get(DevicesRepository);
  });
  afterAll(async () => t?.close());

  async function owner(): Promise<OwnerKey & { username: string }> {
    const username = `repo-${n++}`;
    await insertUser(t, username);
    const { id } = (await devices.findOwner(username))!;
    return { kind: 'user', id, username };
  }

  async function site(): Promise<OwnerKey & { name: string }> {
    const name = `repo-site-${n++}`;
    const [{ id }] = (await query<{ id: string }>(t, 'INSERT INTO sites (id, name, updated_at) VALUES (gen_random_uuid(), $1, now()) RETURNING id', [
      name,
    ])) as [{ id: string }];
    return { kind: 'site', id, name };
  }

  function device(owner: OwnerKey, name = `d${n++}`): NewDevice {
    const id = randomUUID();
    return {
      id,
      owner: { kind: owner.kind, id: owner.id },
      name,
      thingName: `thing-${id}`,
      thingArn: `arn:aws:iot:eu-west-1:123456789012:thing/thing-${id}`,
      policyName: `policy-${id}`,
      attributes: { owner: 'someone', device: name },
      certificate: {
        certificateId: randomUUID().replaceAll('-', '').padEnd(64, '0'),
        certificateArn: `arn:aws:iot:eu-west-1:123456789012:cert/${id}`,
        certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        notAfter: new Date('2030-01-02T03:04:05.678Z'),
        publicKeySha256: randomUUID().replaceAll('-', '').padEnd(64, 'a'),
      },
    };
  }

  it("returns the record exactly as it reads back, for a user's device and a site's", async () => {
    for (const of of [await owner(), await site()]) {
      const created = await devices.create(device(of));
      expect(await devices.getByThingName(created.thingName)).toEqual(created);
    }
  });

  it('refuses a site whose deletion has marked its row', async () => {
    const marked = await site();
    await query(t, 'UPDATE sites SET deletion_started_at = now() WHERE id = $1', [marked.id]);
    await expect(devices.create(device(marked))).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'SITE_BEING_DELETED' } });
    await expect(devices.create(device({ kind: 'site', id: randomUUID() }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses an owner whose deletion holds it, and one whose deletion has marked its row', async () => {
    const held = await owner();
    await t.app.get(OperationsRepository).start('delete-user', userSubject(held.username), {}, 60_000);
    await expect(devices.create(device(held))).rejects.toMatchObject({ code: 'NOT_FOUND', details: { reason: 'BEING_DELETED' } });

    const marked = await owner();
    await query(t, 'UPDATE users SET deletion_started_at = now() WHERE id = $1', [marked.id]);
    await expect(devices.create(device(marked))).rejects.toMatchObject({ code: 'NOT_FOUND', details: { reason: 'BEING_DELETED' } });
    expect(await query(t, 'SELECT id FROM devices WHERE user_id = ANY($1::uuid[])', [[held.id, marked.id]])).toEqual([]);
  });

  it('refuses an unknown owner, a name taken and a public key in use, and writes nothing then', async () => {
    await expect(devices.create(device({ kind: 'user', id: randomUUID() }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const user = await owner();
    const { id } = user;
    const first = await devices.create(device(user, 'lamp'));
    await expect(devices.create(device(user, 'lamp'))).rejects.toMatchObject({ code: 'CONFLICT' });
    const reusedKey = device(user);
    reusedKey.certificate.publicKeySha256 = first.certificates[0]!.publicKeySha256!;
    await expect(devices.create(reusedKey)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'PUBLIC_KEY_IN_USE' } });
    expect(await query(t, 'SELECT name FROM devices WHERE user_id = $1', [id])).toEqual([{ name: 'lamp' }]);
  });

  it('tells registration whether the name is taken and how many devices the owner has', async () => {
    for (const of of [await owner(), await site()]) {
      const lamp = await devices.create(device(of, 'lamp'));
      expect(await devices.nameUseOfOwner(of, 'lamp', 'some-other-thing')).toEqual({ taken: true, devices: 1 });
      expect(await devices.nameUseOfOwner(of, 'fan', lamp.thingName)).toEqual({ taken: true, devices: 1 });
      expect(await devices.nameUseOfOwner(of, 'fan', 'some-other-thing')).toEqual({ taken: false, devices: 1 });
    }
  });
});
