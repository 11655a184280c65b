import { describe, expect, it } from 'vitest';
import type { AwsScope } from '../../../../src/aws/aws-scope.service.js';
import type { AppLogger } from '../../../../src/common/logging/app-logger.js';
import { ConnectionCutoff } from '../../../../src/connection-cutoff/connection-cutoff.js';
import type { PendingCutoffsRepository } from '../../../../src/connection-cutoff/pending-cutoffs.repository.js';
import { IotTeardown } from '../../../../src/aws/iot-teardown.js';
import type { UserDeviceCleanup } from '../../../../src/devices/user-device-cleanup.js';
import type { Entitlements } from '../../../../src/entitlements/entitlements.js';
import { Metrics } from '../../../../src/metrics/metrics.js';
import type { StepContext } from '../../../../src/operations/operation.types.js';
import { deleteUserOperation, type DeleteUserParams } from '../../../../src/users/operations/delete-user.operation.js';
import type { UsersRepository } from '../../../../src/users/users.repository.js';
import { userSubject } from '../../../../src/operations/subjects.js';
import { UserOperations } from '../../../../src/users/operations/user-operations.js';
import { FakeAws } from '../../../fakes/fake-aws.js';
import { registeredDevice } from '../../../support/http/devices.js';
import { signIn } from '../../../support/http/sessions.js';
import { readyUser } from '../../../support/http/users.js';
import { readRows } from '../../../support/invariants.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';

const DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}';

/** A user as the users feature leaves it after sign-ins: identity linked, policy attached (here to several targets), an extra policy version. */
async function provisioned(aws: FakeAws) {
  await aws.userPool.createUser({ username: 'alice', temporaryPassword: 'Temp-Pass-1', sendInvite: false });
  const sub = aws.userPool.user('alice')!.sub;
  const identityId = await aws.identityPool.getIdentityId(aws.tokens.idToken({ sub, username: 'alice' }));
  await aws.iot.createPolicy('iotp_alice', DOCUMENT);
  aws.iot.addPolicyVersion('iotp_alice', DOCUMENT);
  const targets = [identityId, ...Array.from({ length: 4 }, (_, i) => `eu-west-1:0000000${i}-0000-4000-8000-000000000000`)];
  for (const target of targets) await aws.iot.attachPolicy('iotp_alice', target);
  return identityId;
}

function operationOver(aws: FakeAws, row: { identityId: string } | null) {
  const removed: string[] = [];
  const users = {
    markDeletionStarted: async () => undefined,
    findByUsername: async () => row,
    delete: async (id: string) => void removed.push(id),
  } as unknown as UsersRepository;
  const devices: UserDeviceCleanup = { deleteAllOfUser: async () => undefined };
  const definition = deleteUserOperation({
    users,
    userPool: aws.userPool,
    identityPool: aws.identityPool,
    iot: aws.iot,
    teardown: new IotTeardown(aws.iot),
    // Nothing is connected, so every DeleteConnection answers at once and no retry is recorded.
    cutoff: new ConnectionCutoff(aws.connections, {} as PendingCutoffsRepository, new Metrics(), { setContext() {} } as unknown as AppLogger),
    scope: {} as AwsScope,
    devices,
    entitlements: { compileHeld: async () => [{ policyName: 'iotp_alice' }] } as unknown as Entitlements,
  });
  const params: DeleteUserParams = { userId: 'u1', username: 'alice', policyName: 'iotp_alice' };
  const runAll = async () => {
    const context: StepContext<DeleteUserParams> = { params, state: {}, ephemeral: {} };
    for (const step of definition.steps(params)) await step.run(context);
  };
  return { runAll, removed };
}

describe('deleteUserOperation', () => {
  it('detaches every target across pages, deletes every version, the identity and the pool user', async () => {
    const aws = new FakeAws({ pageSize: 2 });
    const identityId = await provisioned(aws);
    const { runAll, removed } = operationOver(aws, { identityId });
    await runAll();
    expect(aws.isEmpty()).toBe(true);
    expect(removed).toEqual(['u1']);
  });

  it('can run again after everything is gone', async () => {
    const aws = new FakeAws({ pageSize: 2 });
    const identityId = await provisioned(aws);
    const { runAll } = operationOver(aws, { identityId });
    await runAll();
    await expect(runAll()).resolves.toBeUndefined();
  });
});

describeFailureAtEachStep('delete-user', {
  definition: (t) => t.app.get(UserOperations).deleteUser,
  steps: ['markDeleting', 'deleteDevices', 'detachPolicy', 'closeConnections', 'deleteIdentity', 'deletePoolUser', 'deleteRow', 'deletePolicy'],
  waitOnFailure: ['deletePolicy'],
  async setup(t, n) {
    const username = `del-${n}`;
    await readyUser(t, username);
    expect((await signIn(t, username)).status).toBe(200);
    await registeredDevice(t, username, 'sensor');
    const row = (await readRows(t.config.database.url!)).users.find((user) => user.username === username)!;
    return { subject: userSubject(username), params: { userId: row.id, username, policyName: row.policy_name } };
  },
  async done(t, { params }) {
    const rows = await readRows(t.config.database.url!);
    expect(rows.users.find((user) => user.username === params.username)).toBeUndefined();
    expect(rows.devices.filter((device) => device.policy_name.includes(`_${params.username}_`))).toEqual([]);
    expect(t.aws.userPool.user(params.username)).toBeUndefined();
    expect(t.aws.iot.snapshot().policies.filter((policy) => policy.includes(`_${params.username}`))).toEqual([]);
  },
});
