import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { insertUser } from '../support/factories.js';
import { registeredDevice } from '../support/http/devices.js';
import { SiteRows } from '../support/site-rows.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('GET /v1/me', () => {
  let t: TestApp;
  let rows: SiteRows;

  beforeAll(async () => {
    t = await startTestApp();
    rows = new SiteRows(t.app);
    for (const username of ['alice', 'bob', 'carol']) await insertUser(t, username);
    for (const site of ['warehouse', 'dock', 'yard']) await rows.site(site);
    await rows.member('warehouse', 'alice', 'member');
    await rows.member('dock', 'alice', 'operator');
    await rows.member('yard', 'bob', 'member');
    await registeredDevice(t, 'alice', 'scanner-1');
    await registeredDevice(t, 'alice', 'scanner-2');
  });
  afterAll(async () => t?.close());

  const me = (username: string, sub = `sub-${username}`) =>
    t.http.get('/v1/me').set('authorization', `Bearer ${t.aws.tokens.idToken({ sub, username })}`);

  it('answers the user, their sites by name with role and topic prefix, and their devices', async () => {
    const response = await me('alice');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      username: 'alice',
      topicPrefix: 'alice/',
      sites: [
        { name: 'dock', role: 'operator', topicPrefix: '_sites/dock/' },
        { name: 'warehouse', role: 'member', topicPrefix: '_sites/warehouse/' },
      ],
      devices: { nextCursor: null },
    });
    expect(
      response.body.devices.items.map((device: { name: string; mqtt: { topicPrefix: string } }) => [device.name, device.mqtt.topicPrefix]),
    ).toEqual([
      ['scanner-1', 'alice/scanner-1/'],
      ['scanner-2', 'alice/scanner-2/'],
    ]);
    // The same device entries as GET /v1/me/devices.
    const mine = await t.http.get('/v1/me/devices').set('authorization', response.request.getHeader('authorization') as string);
    expect(response.body.devices).toEqual(mine.body);
  });

  it('shows no sites and no devices for a user who has none', async () => {
    expect((await me('carol')).body).toEqual({ username: 'carol', topicPrefix: 'carol/', sites: [], devices: { items: [], nextCursor: null } });
  });

  it('follows membership changes, and leaves out a site being deleted', async () => {
    await rows.member('yard', 'carol', 'operator');
    expect((await me('carol')).body.sites).toEqual([{ name: 'yard', role: 'operator', topicPrefix: '_sites/yard/' }]);
    await rows.member('yard', 'carol', 'member');
    expect((await me('carol')).body.sites).toEqual([{ name: 'yard', role: 'member', topicPrefix: '_sites/yard/' }]);
    await rows.removeMember('yard', 'carol');
    expect((await me('carol')).body.sites).toEqual([]);

    await rows.markDeleting('yard');
    expect((await me('bob')).body.sites).toEqual([]);
  });

  it('refuses a user the service did not provision, another Cognito user of the same name, and a disabled user', async () => {
    const unknown = await me('dave');
    expect(unknown.status).toBe(403);
    expect(unknown.body.details).toMatchObject({ reason: 'NOT_PROVISIONED' });

    const successor = await me('alice', 'sub-alice-the-second');
    expect(successor.status).toBe(403);
    expect(successor.body.details).toMatchObject({ reason: 'NOT_PROVISIONED' });

    await insertUser(t, 'erin');
    await t.app.get(PrismaService).user.update({ where: { username: 'erin' }, data: { status: 'DISABLED' } });
    const disabled = await me('erin');
    expect(disabled.status).toBe(403);
    expect(disabled.body.details).toMatchObject({ reason: 'USER_DISABLED' });
  });

  it('refuses a caller without a token', async () => {
    expect((await t.http.get('/v1/me')).status).toBe(401);
  });
});
