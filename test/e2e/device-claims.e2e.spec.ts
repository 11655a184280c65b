import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestCsr } from '../support/csr.js';
import { countDevices, dumpDatabase, insertUser, query, tamperedCsr } from '../support/factories.js';
import { registerDevice } from '../support/http/devices.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

/** A user row with the Cognito sub the app's tokens carry, as the users feature leaves it. */
async function appUser(t: TestApp, username: string): Promise<string> {
  await insertUser(t, username);
  await query(t, 'UPDATE users SET cognito_sub = $2 WHERE username = $1', [username, `sub-${username}`]);
  return t.aws.tokens.idToken({ sub: `sub-${username}`, username });
}

describe("device claims: self-onboarding through the owner's app", () => {
  let t: TestApp;
  let alice: string;
  let bob: string;
  let address = 0;
  /** Each test redeems from its own address, so the per-address limit of one test does not reach another. */
  let from = '';

  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: '127.0.0.1', MAX_DEVICES_PER_USER: '3', DEVICE_CLAIM_MAX_FAILURES_PER_ADDRESS: '4' } });
    alice = await appUser(t, 'alice');
    bob = await appUser(t, 'bob');
  });
  afterEach(() => {
    vi.useRealTimers();
    t.aws.faults.clear();
    from = `10.0.0.${++address}`;
  });
  afterAll(async () => t?.close());

  const askClaim = (token: string, name: string) => t.http.post('/v1/me/device-claims').set('authorization', `Bearer ${token}`).send({ name });
  const redeem = (claim: string, csr = createTestCsr().csrPem) =>
    t.http
      .post('/v1/device-claims/redeem')
      .set('x-forwarded-for', from || '10.0.0.250')
      .send({ claim, csr });
  const claimFor = async (token: string, name: string): Promise<string> => {
    const response = await askClaim(token, name);
    if (response.status !== 201) throw new Error(`claim refused: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.claim as string;
  };
  const INVALID = { code: 'INVALID_CLAIM', message: 'The claim is not valid', requestId: expect.any(String) };

  it('issues a URL-safe claim of 256 bits that expires after the configured time, and stores only its hash', async () => {
    const before = Date.now();
    const response = await askClaim(alice, 'kettle');

    expect(response.status).toBe(201);
    expect(response.body.claim).toMatch(/^dc_[A-Za-z0-9_-]{43}$/);
    const expiresAt = new Date(response.body.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
    const dump = await dumpDatabase(t);
    expect(dump).not.toContain(response.body.claim);
    expect(dump).not.toContain(response.body.claim.slice(3));
  });

  it("registers the device for the claim's user from its CSR, with the answer of an admin registration and no private key", async () => {
    const claim = await claimFor(alice, 'toaster');
    const csr = createTestCsr();
    const response = await redeem(claim, csr.csrPem);

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      name: 'toaster',
      owner: 'alice',
      thingName: 'iotp_alice_toaster',
      certificate: { certificateId: expect.stringMatching(/^[0-9a-f]{64}$/), status: 'ACTIVE' },
      mqtt: { endpoint: t.aws.iot.endpoint, clientId: 'iotp_alice_toaster', topicPrefix: 'alice/toaster/' },
    });
    expect(response.body).not.toHaveProperty('privateKey');
    expect(t.aws.calls.some((call) => call.api === 'CreateKeysAndCertificate')).toBe(false);
    const mine = await t.http.get('/v1/me/devices').set('authorization', `Bearer ${alice}`);
    expect(mine.body.items.map((d: { name: string }) => d.name)).toContain('toaster');
  });

  it('refuses a spent claim with the same answer as an unknown one', async () => {
    const claim = await claimFor(alice, 'lamp');
    expect((await redeem(claim)).status).toBe(201);
    const devices = await countDevices(t);

    const again = await redeem(claim);
    const unknown = await redeem(`dc_${'A'.repeat(43)}`);
    const garbage = await redeem('not-a-claim');

    for (const response of [again, unknown, garbage]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual(INVALID);
    }
    expect(await countDevices(t)).toBe(devices);
  });

  it('refuses a claim once its time has passed, by the clock, with the same answer', async () => {
    const claim = await claimFor(bob, 'fan');
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + 601_000);

    const response = await redeem(claim);

    expect(response.status).toBe(401);
    expect(response.body).toEqual(INVALID);
    expect((await query(t, `SELECT 1 FROM devices WHERE thing_name = 'iotp_bob_fan'`)).length).toBe(0);
  });

  it("binds a claim to the user who asked for it: bob's claim registers bob's device, and a claim of a user disabled since is refused", async () => {
    const bobs = await claimFor(bob, 'heater');
    const redeemed = await redeem(bobs);
    expect(redeemed.body).toMatchObject({ owner: 'bob', thingName: 'iotp_bob_heater' });
    const alices = await t.http.get('/v1/me/devices').set('authorization', `Bearer ${alice}`);
    expect(alices.body.items.map((d: { name: string }) => d.name)).not.toContain('heater');

    const carol = await appUser(t, 'carol');
    const carols = await claimFor(carol, 'radio');
    await query(t, `UPDATE users SET status = 'DISABLED' WHERE username = 'carol'`);
    const refused = await redeem(carols);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(INVALID);
  });

  it("refuses a claim to a token whose sub is not the user row's (a recreated username is another person)", async () => {
    const impostor = t.aws.tokens.idToken({ sub: 'sub-someone-else', username: 'alice' });
    const response = await askClaim(impostor, 'mirror');

    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'NOT_PROVISIONED' } });
  });

  it('refuses a CSR whose signature does not verify and leaves the claim unspent', async () => {
    const claim = await claimFor(bob, 'clock');
    const bad = await redeem(claim, tamperedCsr(createTestCsr().csrPem));

    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_CSR');
    const good = await redeem(claim);
    expect(good.status).toBe(201);
    expect(good.body.thingName).toBe('iotp_bob_clock');
  });

  it('refuses a CSR whose public key another device has, before any AWS call, and leaves the claim unspent', async () => {
    const hank = await appUser(t, 'hank');
    const csr = createTestCsr().csrPem;
    expect((await registerDevice(t, 'hank', { name: 'lamp', csr })).status).toBe(201);
    const claim = await claimFor(hank, 'fan');
    const calls = t.aws.calls.length;

    const reused = await redeem(claim, csr);
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ code: 'CONFLICT', details: { reason: 'PUBLIC_KEY_IN_USE' } });
    expect(t.aws.calls.length).toBe(calls);
    const fresh = await redeem(claim);
    expect(fresh.status).toBe(201);
    expect(fresh.body.thingName).toBe('iotp_hank_fan');
  });

  it('leaves the claim unspent when the registration fails, and undoes what it created', async () => {
    const dave = await appUser(t, 'dave');
    const claim = await claimFor(dave, 'kettle');
    t.aws.faults.inject({ api: 'AttachThingPrincipal', error: 'unavailable' });

    const failed = await redeem(claim);
    expect(failed.status).toBe(503);
    expect(t.aws.snapshot().things.map((thing) => thing.thingName)).not.toContain('iotp_dave_kettle');
    t.aws.faults.clear();
    const retried = await redeem(claim);
    expect(retried.status).toBe(201);
    expect(retried.body.thingName).toBe('iotp_dave_kettle');
  });

  it('lets exactly one of two concurrent redemptions of one claim register', async () => {
    const erin = await appUser(t, 'erin');
    const claim = await claimFor(erin, 'door');

    const answers = await Promise.all([redeem(claim), redeem(claim)]);

    expect(answers.map((response) => response.status).sort()).toEqual([201, 401]);
    expect((await query(t, `SELECT 1 FROM devices WHERE thing_name = 'iotp_erin_door'`)).length).toBe(1);
    expect(
      t.aws.calls.filter((call) => call.api === 'CreateThing' && (call.input as { thingName: string }).thingName === 'iotp_erin_door'),
    ).toHaveLength(1);
  });

  it('rate limits failed redemptions per address, and only that address', async () => {
    for (let i = 0; i < 4; i++) expect((await redeem(`dc_${String(i).repeat(43)}`)).status).toBe(401);

    const limited = await redeem(`dc_${'x'.repeat(43)}`);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    from = '10.0.1.1';
    const frank = await appUser(t, 'frank');
    expect((await redeem(await claimFor(frank, 'bell'))).status).toBe(201);
  });

  it('holds every user to MAX_DEVICES_PER_USER, for claims and admin registrations alike', async () => {
    const gina = await appUser(t, 'gina');
    for (const name of ['a', 'b']) expect((await redeem(await claimFor(gina, name))).status).toBe(201);
    expect((await registerDevice(t, 'gina', { name: 'c', csr: createTestCsr().csrPem })).status).toBe(201);

    const claim = await askClaim(gina, 'd');
    const admin = await registerDevice(t, 'gina', { name: 'd', csr: createTestCsr().csrPem });

    for (const response of [claim, admin]) {
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'CONFLICT', details: { reason: 'DEVICE_LIMIT', limit: 3 } });
      expect(response.body.message).toContain('3 devices');
    }
  });

  it('refuses a claim for a name the user already has', async () => {
    const response = await askClaim(alice, 'toaster');
    expect(response.status).toBe(409);
  });
});

describe('device claims turned off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { DEVICE_CLAIMS_ENABLED: 'false' } });
    await appUser(t, 'alice');
  });
  afterAll(async () => t?.close());

  it('refuses to issue or redeem claims', async () => {
    const token = t.aws.tokens.idToken({ sub: 'sub-alice', username: 'alice' });
    const issue = await t.http.post('/v1/me/device-claims').set('authorization', `Bearer ${token}`).send({ name: 'kettle' });
    const redeem = await t.http.post('/v1/device-claims/redeem').send({ claim: `dc_${'A'.repeat(43)}`, csr: createTestCsr().csrPem });

    for (const response of [issue, redeem]) {
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'DEVICE_CLAIMS_DISABLED' } });
    }
    expect((await t.http.get('/v1/devices/iotp_alice_kettle').set('x-api-key', ADMIN_KEY)).status).toBe(404);
  });
});
