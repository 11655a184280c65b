import type { IotPort, IssuedCertificate } from '../../aws/iot.port.js';
import { csrPublicKey } from '../../certificates/csr.js';
import { certifiesKey } from '../../certificates/pem.js';
import type { DeviceOperationDeps } from './device-operation-deps.js';

/** How far AWS's clock may run behind ours when comparing a creation date with the step's start. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * The certificate AWS issued for this CSR since `since`, when a CreateCertificateFromCsr's answer
 * was lost: ACTIVE, created after the step started, certifying the CSR's public key, claimed by
 * no row and attached to no other policy than the device's own. ListCertificates is read newest
 * first and stops at the first certificate older than the step, so the search costs a page or two.
 * Undefined when there is none, or more than one (then drift reports them).
 */
export async function findCertificateForCsr(
  deps: Pick<DeviceOperationDeps, 'iot' | 'devices'>,
  target: { csr: string; policyName: string },
  since: Date,
): Promise<IssuedCertificate | undefined> {
  const key = csrPublicKey(target.csr);
  const oldest = since.getTime() - CLOCK_SKEW_MS;
  const found: IssuedCertificate[] = [];
  let token: string | undefined;
  do {
    const page = await deps.iot.listCertificates(token);
    for (const summary of page.items) {
      if (summary.createdAt.getTime() < oldest) return onlyOne(found);
      if (summary.status !== 'ACTIVE') continue;
      const { certificatePem } = await deps.iot.describeCertificate(summary.certificateId);
      if (!certifiesKey(certificatePem, key)) continue;
      if (await deps.devices.isCertificateClaimed(summary.certificateId)) continue;
      if (!(await onlyOwnPolicy(deps.iot, summary.certificateArn, target.policyName))) continue;
      found.push({ certificateId: summary.certificateId, certificateArn: summary.certificateArn, certificatePem });
    }
    token = page.nextToken;
  } while (token);
  return onlyOne(found);
}

async function onlyOwnPolicy(iot: IotPort, certificateArn: string, policyName: string): Promise<boolean> {
  let token: string | undefined;
  do {
    const page = await iot.listAttachedPolicies(certificateArn, token);
    if (page.items.some((name) => name !== policyName)) return false;
    token = page.nextToken;
  } while (token);
  return true;
}

function onlyOne<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}
