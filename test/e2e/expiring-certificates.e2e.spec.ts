import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser, query } from '../support/factories.js';
import { registeredDevice } from '../support/http/devices.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

const DAY = 24 * 60 * 60 * 1000;

describe('GET /v1/admin/certificates?expiringWithinDays=N', () => {
  let t: TestApp;
  /** certificate id → days from now until its notAfter */
  const expiry = new Map<string, number>();

  beforeAll(async () => {
    t = await startTestApp();
    await insertUser(t, 'alice');
    await insertUser(t, 'bob');
    const plan: Array<[string, string, number]> = [
      ['alice', 'a', 20],
      ['bob', 'b', 3],
      ['alice', 'c', -2],
      ['bob', 'd', 45],
      ['alice', 'e', 10],
    ];
    for (const [owner, name, days] of plan) {
      const { certificateId } = await registeredDevice(t, owner, name);
      await query(t, 'UPDATE certificates SET not_after = $2 WHERE certificate_id = $1', [certificateId, new Date(Date.now() + days * DAY)]);
      expiry.set(certificateId, days);
    }
  });
  afterAll(async () => t?.close());

  const list = (params: string) => t.http.get(`/v1/admin/certificates?${params}`).set('x-api-key', ADMIN_KEY);
  const daysOf = (items: Array<{ certificateId: string }>) => items.map((item) => expiry.get(item.certificateId));

  it('lists the certificates of every device expiring within N days, oldest notAfter first, with device and owner', async () => {
    const response = await list('expiringWithinDays=30');

    expect(response.status).toBe(200);
    expect(daysOf(response.body.items)).toEqual([-2, 3, 10, 20]);
    expect(response.body.items[1]).toEqual({
      certificateId: expect.any(String),
      notAfter: expect.any(String),
      status: 'ACTIVE',
      thingName: 'iotp_bob_b',
      deviceName: 'b',
      owner: 'bob',
    });
    expect(response.body.nextCursor).toBeNull();
  });

  it('pages with a cursor without skipping or repeating, also across equal notAfter', async () => {
    const [first] = [...expiry.keys()];
    await query(
      t,
      `UPDATE certificates SET not_after = (SELECT not_after FROM certificates WHERE certificate_id = $1) WHERE not_after > now() + interval '40 days'`,
      [first],
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: { status: number; body: { items: Array<{ certificateId: string; notAfter: string }>; nextCursor: string | null } } = await list(
        `expiringWithinDays=60&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(response.status).toBe(200);
      seen.push(...response.body.items.map((item) => item.certificateId));
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor);

    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    const rows = await query<{ certificate_id: string }>(t, 'SELECT certificate_id FROM certificates ORDER BY not_after, certificate_id');
    expect(seen).toEqual(rows.map((row) => row.certificate_id));
  });

  it('with 0 days lists only what has expired; refuses a missing or bad N and a forged cursor', async () => {
    expect(daysOf((await list('expiringWithinDays=0')).body.items)).toEqual([-2]);
    expect((await list('')).status).toBe(400);
    expect((await list('expiringWithinDays=-1')).status).toBe(400);
    expect((await list('expiringWithinDays=5&cursor=bm9wZQ')).status).toBe(400);
    expect((await t.http.get('/v1/admin/certificates?expiringWithinDays=5')).status).toBe(401);
  });
});
