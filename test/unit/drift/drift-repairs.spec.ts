import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IotTeardown } from '../../../src/aws/iot-teardown.js';
import type { CertificateClaim, PolicyClaim } from '../../../src/drift/drift-rules.js';
import { DriftRepairs } from '../../../src/drift/drift-repairs.js';
import type { DriftRepository } from '../../../src/drift/drift.repository.js';
import type { Finding } from '../../../src/drift/drift.types.js';
import { DriftOperations } from '../../../src/drift/operations/drift-operations.js';
import type { PolicyClaims } from '../../../src/drift/policy-claims.js';
import type { OperationRunner } from '../../../src/operations/operation-runner.js';
import type { OperationDefinition, StepContext } from '../../../src/operations/operation.types.js';
import { FakeAws } from '../../fakes/fake-aws.js';
import { createTestCsr } from '../../support/csr.js';

const IDENTITY = 'eu-west-1:11111111-1111-4111-8111-111111111111';
const DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}';

/** Runs an operation's steps in order in this process, as the runner does when nothing fails. */
const inline = {
  register: () => undefined,
  async run<P, R>(definition: OperationDefinition<P, R>, _subject: string, params: P): Promise<R> {
    const context: StepContext<P> = { params, state: {}, ephemeral: {} };
    for (const step of definition.steps(params)) Object.assign(context.state, (await step.run(context)) ?? {});
    return definition.result(context);
  },
} as unknown as OperationRunner;

/** What the database says at the time the repair re-checks. */
function records(
  claims: { devices?: string[]; certificates?: Record<string, CertificateClaim>; policies?: Record<string, PolicyClaim>; users?: string[] } = {},
) {
  const forgotten: string[] = [];
  const repository = {
    deviceExists: async (thingName: string) => (claims.devices ?? []).includes(thingName),
    userExists: async (username: string) => (claims.users ?? []).includes(username),
    certificateClaim: async (id: string) => claims.certificates?.[id],
    policyClaim: async (name: string) => claims.policies?.[name],
    deviceOperationsRunning: async () => false,
    forgetPolicyAttachment: async (policyName: string, identityId: string) => void forgotten.push(`${policyName} ${identityId}`),
  } as unknown as DriftRepository;
  return { repository, forgotten };
}

function repairsOver(aws: FakeAws, repository: DriftRepository) {
  // No further user policies here: a policy's claim is its row's.
  const claims = { of: (name: string) => repository.policyClaim(name) } as unknown as PolicyClaims;
  return new DriftRepairs(new DriftOperations(aws.iot, aws.userPool, new IotTeardown(aws.iot), repository, claims, inline), inline);
}

const mutations = (aws: FakeAws) => aws.calls.map((call) => call.api).filter((api) => !api.startsWith('List'));

describe('drift repairs', () => {
  it('detaches every principal of an orphan thing, certificates and identities, before deleting it', async () => {
    const aws = new FakeAws();
    await aws.iot.createThing('iotp_mallory_probe', {});
    const { certificateArn } = await aws.iot.createCertificateFromCsr(createTestCsr().csrPem);
    await aws.iot.attachThingPrincipal('iotp_mallory_probe', certificateArn);
    await aws.iot.attachThingPrincipal('iotp_mallory_probe', IDENTITY);
    aws.resetCalls();

    const finding: Finding = { kind: 'thing', name: 'iotp_mallory_probe', reason: '', action: 'delete', subject: 'device:iotp_mallory_probe' };
    expect(await repairsOver(aws, records().repository).repairOrphan(finding)).toEqual({ result: 'done' });

    expect(mutations(aws)).toEqual(['DetachThingPrincipal', 'DetachThingPrincipal', 'DeleteThing']);
    expect(aws.snapshot().things).toEqual([]);
  });

  it('does nothing when a record claims the orphan by the time the repair holds its lock', async () => {
    const aws = new FakeAws();
    await aws.iot.createThing('iotp_alice_scanner', {});
    await aws.iot.createPolicy('iotp_alice_scanner', DOCUMENT);
    const { certificateId, certificateArn } = await aws.iot.createCertificateFromCsr(createTestCsr().csrPem);
    await aws.iot.attachThingPrincipal('iotp_alice_scanner', certificateArn);
    const claim = { thingName: 'iotp_alice_scanner', policyName: 'iotp_alice_scanner' };
    const { repository } = records({
      devices: ['iotp_alice_scanner'],
      certificates: { [certificateId]: claim },
      policies: { iotp_alice_scanner: { kind: 'device', thingName: 'iotp_alice_scanner' } },
    });
    const repairs = repairsOver(aws, repository);
    const base = { reason: '', subject: 'device:iotp_alice_scanner' };
    aws.resetCalls();

    const outcomes = [
      await repairs.repairOrphan({ ...base, kind: 'thing', name: 'iotp_alice_scanner', action: 'delete' }),
      await repairs.repairOrphan({ ...base, kind: 'policy', name: 'iotp_alice_scanner', action: 'delete' }),
      await repairs.repairOrphan({
        ...base,
        kind: 'certificate',
        name: certificateId,
        certificateArn,
        attachedToThings: ['iotp_alice_scanner'],
        action: 'delete',
      }),
      await repairs.repairOrphan({ ...base, kind: 'thing-principal', name: 'iotp_alice_scanner', target: certificateArn, action: 'detach' }),
    ];

    expect(outcomes.map((outcome) => outcome.result)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(outcomes[0]).toEqual({ result: 'skipped', note: 'A device record now has this thing' });
    expect(aws.calls).toEqual([]);
  });

  it("detaching a user policy from its identity also clears the row's claim, so a later sign-in attaches again", async () => {
    const aws = new FakeAws();
    await aws.iot.createPolicy('iotp_alice', DOCUMENT);
    await aws.iot.attachPolicy('iotp_alice', IDENTITY);
    const { repository, forgotten } = records({ policies: { iotp_alice: { kind: 'user', identityId: IDENTITY, status: 'DISABLED' } } });

    const outcome = await repairsOver(aws, repository).repairOrphan({
      kind: 'policy-attachment',
      name: 'iotp_alice',
      target: IDENTITY,
      reason: '',
      action: 'detach',
      subject: 'user:alice',
    });

    expect(outcome).toEqual({ result: 'done' });
    expect(aws.snapshot().policyAttachments).toEqual([]);
    expect(forgotten).toEqual([`iotp_alice ${IDENTITY}`]);
  });

  it('removes an orphan pool user only while it carries the marker the scan saw and no row has its name', async () => {
    const aws = new FakeAws();
    const userId = randomUUID();
    await aws.userPool.createUser({ username: 'mallory', userId, sendInvite: false, temporaryPassword: 'Correct-Horse-42' });
    const finding: Finding = { kind: 'pool-user', name: 'mallory', owner: 'mallory', userId, reason: '', action: 'delete', subject: 'user:mallory' };

    // Another user of that name since the scan (another marker), or a row of that name: left alone.
    expect(await repairsOver(aws, records().repository).repairOrphan({ ...finding, userId: randomUUID() })).toEqual({
      result: 'skipped',
      note: 'The Cognito user of this name is not the one the scan found',
    });
    expect(await repairsOver(aws, records({ users: ['mallory'] }).repository).repairOrphan(finding)).toEqual({
      result: 'skipped',
      note: 'A user record now has this username',
    });
    expect(aws.userPool.user('mallory')).toBeDefined();

    expect(await repairsOver(aws, records().repository).repairOrphan(finding)).toEqual({ result: 'done' });
    expect(aws.userPool.user('mallory')).toBeUndefined();
    expect(await repairsOver(aws, records().repository).repairOrphan(finding)).toEqual({
      result: 'skipped',
      note: 'The Cognito user pool no longer has this user',
    });
  });

  it('removes an orphan certificate with every policy on it, ours or not, INACTIVE before deleted', async () => {
    const aws = new FakeAws();
    const { certificateId, certificateArn } = await aws.iot.createCertificateFromCsr(createTestCsr().csrPem);
    for (const policy of ['iotp_alice_scanner', 'otherapp_policy']) {
      await aws.iot.createPolicy(policy, DOCUMENT);
      await aws.iot.attachPolicy(policy, certificateArn);
    }
    aws.resetCalls();

    const outcome = await repairsOver(aws, records().repository).repairOrphan({
      kind: 'certificate',
      name: certificateId,
      certificateArn,
      attachedToThings: [],
      attachedToPolicies: ['iotp_alice_scanner'],
      reason: '',
      action: 'delete',
      subject: 'device:iotp_alice_scanner',
    });

    expect(outcome).toEqual({ result: 'done' });
    expect(mutations(aws)).toEqual(['DetachPolicy', 'DetachPolicy', 'UpdateCertificate', 'DeleteCertificate']);
    expect(aws.snapshot().certificates).toEqual([]);
  });
});
