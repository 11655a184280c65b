import type { Response } from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCsr } from '../support/csr.js';
import { registerDevice, registeredDevice } from '../support/http/devices.js';
import { consistency, readRows } from '../support/invariants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { admin } from '../support/http/admin.js';
import { idTokenOf, signIn } from '../support/http/sessions.js';
import { createUser, PASSWORD, readyUser } from '../support/http/users.js';

/**
 * Concurrent requests on one subject, with AWS latency so that operations overlap: exactly one
 * wins where one must, losers get 409 (never a 5xx), and the end state has no orphan and no ghost.
 */

const CONFLICTS = ['CONFLICT', 'OPERATION_IN_PROGRESS'];

/** Sends a supertest request now (it is lazy until awaited), so that a later one overlaps it. */
function send(request: PromiseLike<Response>): Promise<Response> {
  return Promise.resolve(request);
}

describe('races', () => {
  let t: TestApp;
  /** A second process over the same database and fakes: replicas race too. */
  let u: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ aws: { latencyMs: 5 } });
    u = await startTestApp({ databaseUrl: t.config.database.url!, aws: t.aws });
  });
  afterEach(async () => {
    t.aws.latencyMs = 5;
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });
  afterAll(async () => {
    await u?.close();
    await t?.close();
  });

  function either(i: number): TestApp {
    return i % 2 === 0 ? t : u;
  }

  it('20 concurrent registrations of one device name: one 201, the rest 409, one device in AWS', async () => {
    await readyUser(t, 'reg');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => registerDevice(either(i), 'reg', { name: 'lamp', csr: createTestCsr().csrPem })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    for (const response of responses.filter((r) => r.status !== 201)) {
      expect(response.status, JSON.stringify(response.body)).toBe(409);
      expect(CONFLICTS).toContain(response.body.code);
    }
    const snapshot = t.aws.snapshot();
    expect(snapshot.things.map((thing) => thing.thingName)).toEqual(['iotp_reg_lamp']);
    expect(snapshot.certificates).toHaveLength(1);
    expect((await readRows(t.config.database.url!)).devices).toHaveLength(1);
    expect((await admin(t).delete('/v1/users/reg')).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('20 concurrent creations of one user: one 201, the rest 409, one pool user', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createUser(either(i), { username: 'dup', temporaryPassword: PASSWORD })),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    for (const response of responses.filter((r) => r.status !== 201)) {
      expect(response.status, JSON.stringify(response.body)).toBe(409);
      expect(CONFLICTS).toContain(response.body.code);
    }
    expect(t.aws.snapshot().users.map((user) => user.username)).toEqual(['dup']);
    expect(t.aws.snapshot().policies).toEqual(['iotp_dup']);
    expect((await admin(t).delete('/v1/users/dup')).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  /** Retries a deletion the race answered 409 (the other operation held the subject) until it is done. */
  async function deleteUntilGone(app: TestApp, path: string): Promise<void> {
    await expect
      .poll(
        async () => {
          const response = await admin(app).delete(path);
          expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
          return response.status;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toSatisfy((status: number) => status === 204 || status === 404);
  }

  // Different offsets between the two requests land the deletion before, during and after the link.
  it.each([0, 2, 5, 10, 20, 40])(
    'DELETE user racing its first sign-in (offset %i ms): never a 5xx, never a dangling identity or attachment',
    async (offset) => {
      const username = `race-${offset}`;
      await readyUser(t, username);
      const idToken = idTokenOf(t.aws, username);
      const signingIn = Promise.all([
        send(signIn(t, username)),
        send(u.http.get('/v1/sessions/credentials').set('authorization', `Bearer ${idToken}`)),
      ]);
      await new Promise((resolve) => setTimeout(resolve, offset));
      const deleting = send(admin(u).delete(`/v1/users/${username}`));
      const [[session, credentials], deleted] = await Promise.all([signingIn, deleting]);

      for (const response of [session, credentials, deleted]) expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
      // A sign-in either completed before the deletion took the user, or failed cleanly.
      for (const response of [session, credentials]) expect([200, 401, 403, 404, 409]).toContain(response.status);
      expect([204, 409]).toContain(deleted.status);
      expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);

      await deleteUntilGone(t, `/v1/users/${username}`);
      expect(t.aws.isEmpty()).toBe(true);
      // And nothing comes back: a sign-in now fails without touching the identity pool.
      t.aws.resetCalls();
      expect((await signIn(t, username)).status).toBe(401);
      expect(t.aws.calls.map((call) => call.api)).toEqual(['AdminInitiateAuth']);
    },
  );

  it.each([0, 2, 5, 10, 20])(
    'disabling a user racing its first sign-in (offset %i ms): the policy never stays attached to a disabled user',
    async (offset) => {
      const username = `dis-${offset}`;
      await readyUser(t, username);
      const signingIn = send(signIn(t, username));
      await new Promise((resolve) => setTimeout(resolve, offset));
      const disabling = send(admin(u).post(`/v1/users/${username}/disable`));
      const [session, disabled] = await Promise.all([signingIn, disabling]);

      expect([200, 403, 409]).toContain(session.status);
      expect(disabled.status, JSON.stringify(disabled.body)).toBeLessThan(500);
      if (disabled.status === 409) {
        await expect.poll(async () => (await admin(t).post(`/v1/users/${username}/disable`)).status, { timeout: 10_000, interval: 50 }).toBe(204);
      }
      expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
      expect(t.aws.snapshot().policyAttachments.filter((attachment) => attachment.policyName === `iotp_${username}`)).toEqual([]);
      await deleteUntilGone(t, `/v1/users/${username}`);
      expect(t.aws.isEmpty()).toBe(true);
    },
  );

  it.each([0, 5, 15, 30])('rotation racing the deletion of the device (offset %i ms): never a 5xx, consistent either way', async (offset) => {
    const username = `rot-${offset}`;
    await readyUser(t, username);
    const { thingName } = await registeredDevice(t, username, 'lamp');
    const rotating = send(admin(t).post(`/v1/devices/${thingName}/certificates`).send({ csr: createTestCsr().csrPem }));
    await new Promise((resolve) => setTimeout(resolve, offset));
    const deleting = send(admin(u).delete(`/v1/devices/${thingName}`));
    const [rotated, deleted] = await Promise.all([rotating, deleting]);

    expect([201, 404, 409]).toContain(rotated.status);
    expect([204, 409]).toContain(deleted.status);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
    await deleteUntilGone(t, `/v1/devices/${thingName}`);
    expect(t.aws.snapshot().things).toEqual([]);
    expect((await admin(t).delete(`/v1/users/${username}`)).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('a registration that reaches its insert after the owner deletion listed the devices is refused (404) and undone', async () => {
    await readyUser(t, 'late');
    // The registration stops just before its last AWS call, with everything created in AWS.
    let resumeRegistration!: () => void;
    const registrationPaused = new Promise<void>((reached) => {
      const stop = t.aws.onCall('AttachThingPrincipal', () => {
        stop();
        reached();
        return new Promise<void>((resume) => (resumeRegistration = resume));
      });
    });
    const registering = send(registerDevice(t, 'late', { name: 'lamp', csr: createTestCsr().csrPem }));
    await registrationPaused;
    // The deletion runs until it is past its device sweep (it found none) and at the user's policy.
    let resumeDeletion!: () => void;
    const deletionPaused = new Promise<void>((reached) => {
      const stop = t.aws.onCall('ListTargetsForPolicy', (input) => {
        if ((input as { policyName: string }).policyName !== 'iotp_late') return;
        stop();
        reached();
        return new Promise<void>((resume) => (resumeDeletion = resume));
      });
    });
    const deleting = send(admin(u).delete('/v1/users/late'));
    await deletionPaused;
    resumeRegistration();
    const registered = await registering;
    resumeDeletion();
    const deleted = await deleting;

    expect(registered.status, JSON.stringify(registered.body)).toBe(404);
    expect(registered.body).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'BEING_DELETED' } });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it.each([0, 5, 15, 30])('registration racing the deletion of its owner (offset %i ms): never a 5xx, consistent either way', async (offset) => {
    const username = `own-${offset}`;
    await readyUser(t, username);
    const registering = send(registerDevice(t, username, { name: 'lamp', csr: createTestCsr().csrPem }));
    await new Promise((resolve) => setTimeout(resolve, offset));
    const deleting = send(admin(u).delete(`/v1/users/${username}`));
    const [registered, deleted] = await Promise.all([registering, deleting]);

    expect(registered.status, JSON.stringify(registered.body)).toBeLessThan(500);
    expect(deleted.status, JSON.stringify(deleted.body)).toBeLessThan(500);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
    await deleteUntilGone(t, `/v1/users/${username}`);
    expect(t.aws.isEmpty()).toBe(true);
  });
});
