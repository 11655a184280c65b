import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpDatabase, query } from '../support/factories.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';
import { createUser } from '../support/http/users.js';

describe('Idempotency-Key on creating routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const postUser = (key: string, body: object) => t.http.post('/v1/users').set('x-api-key', ADMIN_KEY).set('idempotency-key', key).send(body);

  it('replays the first response for the same key and body, repeating no side effect', async () => {
    const first = await postUser('k-1', { username: 'idem-a', email: 'a@example.com' });
    expect(first.status).toBe(201);
    t.aws.resetCalls();
    const again = await postUser('k-1', { email: 'a@example.com', username: 'idem-a' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(t.aws.calls).toEqual([]);
    const rows = await query<{ count: string }>(t, `SELECT count(*) FROM users WHERE username = 'idem-a'`);
    expect(rows[0]!.count).toBe('1');
  });

  it('refuses the same key with a different body (422)', async () => {
    await postUser('k-2', { username: 'idem-b' });
    const other = await postUser('k-2', { username: 'idem-c' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await t.http.get('/v1/users/idem-c').set('x-api-key', ADMIN_KEY)).status).toBe(404);
  });

  it('answers 409 OPERATION_IN_PROGRESS while the first request with the key is still running', async () => {
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    const stop = t.aws.onCall('AdminCreateUser', () => paused);
    const first = postUser('k-3', { username: 'idem-d' }).then((response) => response);
    await expect.poll(async () => (await query(t, `SELECT 1 FROM idempotency_keys WHERE key = 'k-3'`)).length).toBe(1);
    const second = await postUser('k-3', { username: 'idem-d' });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('OPERATION_IN_PROGRESS');
    expect(second.headers['retry-after']).toBe('1');
    release();
    stop();
    expect((await first).status).toBe(201);
    expect((await postUser('k-3', { username: 'idem-d' })).status).toBe(201);
  });

  it('frees the key when the first request failed, so a retry can succeed', async () => {
    t.aws.faults.inject({ api: 'CreatePolicy', error: 'unavailable', times: 1 });
    const failed = await postUser('k-4', { username: 'idem-e' });
    expect(failed.status).toBe(503);
    const retried = await postUser('k-4', { username: 'idem-e' });
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it("keys are per caller: another admin credential does not see the first one's key", async () => {
    await postUser('k-5', { username: 'idem-f' });
    t.aws.userPool.seedUser({
      username: 'console-admin',
      password: 'Admin-Password-1',
      groups: ['admins'],
      sub: '00000000-0000-4000-8000-00000000a0a0',
    });
    const token = t.aws.tokens.idToken({ sub: '00000000-0000-4000-8000-00000000a0a0', username: 'console-admin', groups: ['admins'] });
    const other = await t.http.post('/v1/users').set('authorization', `Bearer ${token}`).set('idempotency-key', 'k-5').send({ username: 'idem-g' });
    expect(other.status).toBe(201);
    expect(other.body.username).toBe('idem-g');
  });

  it('never stores a generated private key: a replay of a registration comes back without it', async () => {
    expect((await createUser(t, { username: 'idem-owner' })).status).toBe(201);
    const register = () =>
      t.http.post('/v1/users/idem-owner/devices').set('x-api-key', ADMIN_KEY).set('idempotency-key', 'k-6').send({ name: 'scanner' });
    const first = await register();
    expect(first.status).toBe(201);
    expect(first.body.privateKey).toContain('PRIVATE KEY');
    const replay = await register();
    expect(replay.status).toBe(201);
    expect(replay.body.privateKey).toBeUndefined();
    expect(replay.body.thingName).toBe(first.body.thingName);
    expect(await dumpDatabase(t)).not.toContain('PRIVATE KEY');
  });

  it('refuses a malformed key', async () => {
    const response = await postUser('has spaces', { username: 'idem-h' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('treats an expired key as unused', async () => {
    await postUser('k-7', { username: 'idem-i' });
    await query(t, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'k-7'`);
    const fresh = await postUser('k-7', { username: 'idem-j' });
    expect(fresh.status).toBe(201);
    expect(fresh.body.username).toBe('idem-j');
  });

  it('scopes a key by route and decoded parameters: a percent-encoded path is the same request', async () => {
    expect((await createUser(t, { username: 'race-u' })).status).toBe(201);
    const register = (path: string) => t.http.post(path).set('x-api-key', ADMIN_KEY).set('idempotency-key', 'k-8').send({ name: 'probe' });
    const first = await register('/v1/users/race-u/devices');
    expect(first.status).toBe(201);
    t.aws.resetCalls();
    const encoded = await register('/v1/users/%72ace-u/devices');
    expect(encoded.status).toBe(201);
    expect(encoded.headers['idempotent-replayed']).toBe('true');
    expect(encoded.body.thingName).toBe(first.body.thingName);
    expect(t.aws.calls).toEqual([]);
    const rows = await query<{ count: string }>(t, `SELECT count(*) FROM devices WHERE name = 'probe'`);
    expect(rows[0]!.count).toBe('1');
  });
});
