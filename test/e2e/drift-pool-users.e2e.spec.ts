import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { query } from '../support/factories.js';
import { admin } from '../support/http/admin.js';
import { createUser, PASSWORD, readyUser } from '../support/http/users.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Item = { kind: string; name: string; action: string; result?: string; userId?: string; reason?: string };

describe('drift: Cognito users that no row claims', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ env: { DRIFT_SCAN_BATCH: '2' } });
  });
  afterEach(async () => t?.close());

  const detect = async () => {
    const response = await admin(t).get('/v1/admin/drift');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as { orphans: Item[]; inProgress: string[]; scanned: Record<string, number> };
  };
  const repair = async (queryString = '?dryRun=false') => {
    const response = await admin(t).post(`/v1/admin/drift/repair${queryString}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as { orphans: Item[]; summary: Record<string, number> };
  };
  const poolUsers = () =>
    t.aws.userPool
      .snapshot()
      .map((user) => user.username)
      .sort();
  const poolUserOrphans = async () => (await detect()).orphans.filter((item) => item.kind === 'pool-user');

  /** What a create-user whose AdminCreateUser answer was lost, and whose process died before its undo, leaves: a marked pool user, no row. */
  async function leftoverPoolUser(username: string): Promise<string> {
    const userId = randomUUID();
    await t.aws.userPool.createUser({ username, userId, sendInvite: false, temporaryPassword: PASSWORD });
    return userId;
  }

  it('reports a pool user the service made that no row claims, leaves unmarked ones alone, and repair removes it', async () => {
    for (const username of ['alice', 'bob', 'carol']) await readyUser(t, username);
    const userId = await leftoverPoolUser('mallory');
    // Made in the console: no marker, so not the service's (an administrator, say).
    t.aws.userPool.seedUser({ username: 'console-admin', password: PASSWORD });

    const report = await detect();
    expect(report.orphans).toEqual([
      {
        kind: 'pool-user',
        name: 'mallory',
        owner: 'mallory',
        userId,
        reason: expect.stringContaining(`custom:iotp_user_id ${userId}`),
        action: 'delete',
      },
    ]);
    expect(report.scanned).toMatchObject({ poolUsers: 5, poolUsersWithoutMarker: 1, users: 3 });

    expect((await repair('')).orphans.map((item) => `${item.name} ${item.result}`)).toEqual(['mallory planned']);
    expect(poolUsers()).toContain('mallory');

    const done = await repair();
    expect(done.orphans.map((item) => `${item.name} ${item.result}`)).toEqual(['mallory done']);
    expect(poolUsers()).toEqual(['alice', 'bob', 'carol', 'console-admin']);
    const operations = (await admin(t).get('/v1/operations?limit=100')).body.items as Array<{ kind: string; subject: string; status: string }>;
    expect(operations.filter((op) => op.kind === 'drift-delete-cognito-user').map((op) => `${op.subject} ${op.status}`)).toEqual([
      'user:mallory COMPLETED',
    ]);

    expect(await poolUserOrphans()).toEqual([]);
    // The name is free again.
    expect((await createUser(t, { username: 'mallory', temporaryPassword: PASSWORD })).status).toBe(201);
    expect(await poolUserOrphans()).toEqual([]);
  });

  it('does not report the pool user of a creation still running, and repair leaves it to the creation', async () => {
    let release!: () => void;
    let reached!: () => void;
    const atCreation = new Promise<void>((resolve) => (reached = resolve));
    const stop = t.aws.onCallDone('AdminCreateUser', () => {
      reached();
      return new Promise<void>((resolve) => (release = resolve));
    });
    const creating = createUser(t, { username: 'dora', temporaryPassword: PASSWORD }).then((response) => response);
    await atCreation;
    stop();

    // The pool user exists, the row does not yet: the running create-user holds user:dora.
    expect(poolUsers()).toContain('dora');
    const report = await detect();
    expect(report.orphans).toEqual([]);
    expect(report.inProgress).toEqual(['dora']);
    expect((await repair()).orphans).toEqual([]);
    expect(poolUsers()).toContain('dora');

    release();
    expect((await creating).status).toBe(201);
    expect(await detect()).toMatchObject({ orphans: [], inProgress: [] });
  });

  it('does not report the pool user of a user whose deletion stopped mid-way: the row still claims it', async () => {
    await readyUser(t, 'erin');
    t.aws.faults.inject({ api: 'AdminDeleteUser', error: 'unavailable' });
    expect((await admin(t).delete('/v1/users/erin')).status).toBe(503);
    const [row] = await query<{ deleting: boolean }>(t, `SELECT deletion_started_at IS NOT NULL AS deleting FROM users WHERE username = 'erin'`);
    expect(row).toEqual({ deleting: true });

    expect(await poolUserOrphans()).toEqual([]);
    expect((await repair()).orphans.filter((item) => item.kind === 'pool-user')).toEqual([]);
    expect(poolUsers()).toEqual(['erin']);

    expect((await admin(t).delete('/v1/users/erin')).status).toBe(204);
    expect(await detect()).toMatchObject({ orphans: [], inProgress: [] });
    expect(poolUsers()).toEqual([]);
  });

  it('holds a pool user whose creation could not undo it (AdminCreateUser answer lost, AdminDeleteUser failing) until recovery removes it', async () => {
    t.aws.faults.inject({ api: 'AdminCreateUser', error: 'unavailable', lost: true });
    t.aws.faults.inject({ api: 'AdminDeleteUser', error: 'unavailable' });
    expect((await createUser(t, { username: 'fred', temporaryPassword: PASSWORD })).status).toBe(503);
    t.aws.faults.clear();

    // The undo found the user by its marker but could not delete it: the operation stays UNDOING and holds user:fred.
    expect(poolUsers()).toEqual(['fred']);
    expect(await detect()).toMatchObject({ orphans: [], inProgress: ['fred'] });

    await query(t, `UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE active_subject = 'user:fred'`);
    await t.app.get(RecoveryService).recoverAll();
    expect(poolUsers()).toEqual([]);
    expect(await detect()).toMatchObject({ orphans: [], inProgress: [] });
  });

  it('skips a pool user that a row claims by the time the repair holds its lock', async () => {
    const userId = await leftoverPoolUser('gail');
    // Between the scan and the repair's check under the lock, a row of that name appears.
    const stop = t.aws.onCall('AdminGetUser', async () => {
      stop();
      await query(t, `INSERT INTO users (id, username, cognito_sub, policy_name, updated_at) VALUES ($1, 'gail', 'sub-gail', 'iotp_gail', now())`, [
        userId,
      ]);
    });

    const done = await repair();
    expect(done.orphans).toEqual([expect.objectContaining({ name: 'gail', result: 'skipped', note: 'A user record now has this username' })]);
    expect(t.aws.countCalls('AdminDeleteUser')).toBe(0);
    expect(poolUsers()).toEqual(['gail']);
    expect(await poolUserOrphans()).toEqual([]);
  });
});
