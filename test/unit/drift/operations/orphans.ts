import { randomUUID } from 'node:crypto';
import { certificateIdOf } from '../../../../src/aws/iot-teardown.js';
import { createTestCsr } from '../../../support/csr.js';
import type { TestApp } from '../../../support/test-app.js';

const DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}';

/** Names of ours (prefix, user, device) that no row claims. */
export function orphanNames(t: TestApp, n: number) {
  const name = `${t.config.resourcePrefix}_ghost${n}_probe`;
  return { thingName: name, policyName: name };
}

/** A certificate made in AWS by hand: ACTIVE, no row claims it. */
export async function orphanCertificate(t: TestApp) {
  const { certificateArn } = await t.aws.iot.createCertificateFromCsr(createTestCsr().csrPem);
  return { certificateArn, certificateId: certificateIdOf(certificateArn)! };
}

export async function orphanPolicy(t: TestApp, policyName: string) {
  await t.aws.iot.createPolicy(policyName, DOCUMENT);
}

/** Takes apart whatever of these the case left, in AWS's order. */
export async function removeAll(t: TestApp, names: { thingName?: string; policyName?: string; certificateId?: string; certificateArn?: string }) {
  const snapshot = t.aws.iot.snapshot();
  for (const { thingName, principal } of snapshot.thingPrincipals) await t.aws.iot.detachThingPrincipal(thingName, principal);
  for (const { policyName, target } of snapshot.policyAttachments) {
    if (policyName === names.policyName || target === names.certificateArn) await t.aws.iot.detachPolicy(policyName, target);
  }
  if (names.certificateId && snapshot.certificates.some((certificate) => certificate.certificateId === names.certificateId)) {
    await t.aws.iot.updateCertificateStatus(names.certificateId, 'INACTIVE');
    await t.aws.iot.deleteCertificate(names.certificateId);
  }
  if (names.policyName && snapshot.policies.includes(names.policyName)) await t.aws.iot.deletePolicy(names.policyName);
  if (names.thingName && snapshot.things.some((thing) => thing.thingName === names.thingName)) await t.aws.iot.deleteThing(names.thingName);
}

/** A pool user the service marked as its own (as an AdminCreateUser whose answer was lost leaves it), with no row. */
export async function orphanPoolUser(t: TestApp, n: number): Promise<{ username: string; userId: string }> {
  const username = `ghost${n}`;
  const userId = randomUUID();
  await t.aws.userPool.createUser({ username, userId, sendInvite: false, temporaryPassword: 'Correct-Horse-42' });
  return { username, userId };
}
