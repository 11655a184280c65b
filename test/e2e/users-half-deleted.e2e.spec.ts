import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../support/http/admin.js';
import { registerDevice, registeredDevice } from '../support/http/devices.js';
import { credentials, signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';
import { createTestCsr } from '../support/csr.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A user whose deletion stopped at AdminDeleteUser: devices, identity and the policy's attachment already gone, the row and pool user still there. */
describe('a user whose deletion stopped mid-way', () => {
  let t: TestApp;
  let idToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    await readyUser(t, 'hal');
    const session = await signIn(t, 'hal');
    expect(session.status).toBe(200);
    idToken = session.body.tokens.idToken;
    await registeredDevice(t, 'hal', 'meter');
    t.aws.faults.inject({ api: 'AdminDeleteUser', error: 'unavailable' });
    expect((await admin(t).delete('/v1/users/hal')).status).toBe(503);
    // Its access is gone already: the device, and the user policy's attachment (the policy itself goes last).
    expect(t.aws.snapshot()).toMatchObject({ things: [], certificates: [], policyAttachments: [], policies: ['iotp_hal'] });
  });
  afterAll(async () => t?.close());

  const beingDeleted = (response: { status: number; body: { code: string; message: string; details?: Record<string, unknown> } }) => {
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'CONFLICT', details: { reason: 'USER_BEING_DELETED', username: 'hal' } });
    expect(response.body.message).toMatch(/repeating DELETE \/v1\/users\/hal/);
  };

  it('cannot be enabled', async () => {
    beingDeleted(await admin(t).post('/v1/users/hal/enable'));
    expect(t.aws.iot.snapshot().policyAttachments).toEqual([]);
  });

  it('cannot be disabled', async () => {
    beingDeleted(await admin(t).post('/v1/users/hal/disable'));
  });

  it('gets no new device', async () => {
    beingDeleted(await registerDevice(t, 'hal', { name: 'other', csr: createTestCsr().csrPem }));
    expect(t.aws.snapshot().things).toEqual([]);
  });

  it('cannot sign in, though Cognito still knows the user', async () => {
    beingDeleted(await signIn(t, 'hal'));
  });

  it('gets no credentials for an ID token it still holds', async () => {
    beingDeleted(await credentials(t, idToken));
  });

  it('is deleted when the delete is repeated', async () => {
    expect((await admin(t).delete('/v1/users/hal')).status).toBe(204);
    expect((await admin(t).get('/v1/users/hal')).status).toBe(404);
    expect(t.aws.isEmpty()).toBe(true);
  });
});
