import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { isDomainError, type DomainError } from '../common/errors/domain-error.js';
import { ignoreNotFound } from '../common/errors/ignore-not-found.js';
import { RetryLaterError } from '../common/errors/retry-later.js';
import { IotPort } from './iot.port.js';
import { allPages } from './pages.js';

const CERTIFICATE_ARN = /^arn:aws[\w-]*:iot:[^:]+:\d{12}:cert\/([0-9a-f]{64})$/;
/**
 * DetachThingPrincipal is asynchronous ("it might take several seconds for the detachment to
 * propagate"), so the DeleteCertificate or DeleteThing right after it may be refused as still
 * attached. Waits this long between attempts before giving the refusal to the caller, who can re-run.
 */
const DETACH_PROPAGATION_WAITS_MS = [1000, 2000, 4000];

/**
 * Taking IoT resources apart in the order AWS enforces: detach (thing principals, policy targets),
 * deactivate, then delete certificates, policies (their versions first) and things. Every removal
 * is idempotent: what is already gone counts as removed, so undos and re-run deletions call them
 * again. Devices, users and drift repairs all remove through here.
 */
@Injectable()
export class IotTeardown {
  constructor(private readonly iot: IotPort) {}

  /** Detaching comes first: AWS refuses to delete a certificate, thing or policy that is still attached. */
  async detachCertificate(thingName: string, policyName: string, certificateArn: string): Promise<void> {
    await this.detachFromThing(thingName, certificateArn);
    await this.detachPolicy(policyName, certificateArn);
  }

  async detachFromThing(thingName: string, certificateArn: string): Promise<void> {
    await ignoreNotFound(this.iot.detachThingPrincipal(thingName, certificateArn));
  }

  async detachPolicy(policyName: string, target: string): Promise<void> {
    await ignoreNotFound(this.iot.detachPolicy(policyName, target));
  }

  /** Every target AWS lists for the policy, not only those a record names: an attach whose record was lost goes too. */
  async detachPolicyFromAll(policyName: string): Promise<void> {
    for (const target of await this.policyTargets(policyName)) await this.detachPolicy(policyName, target);
  }

  /** INACTIVE, then deleted: AWS refuses to delete an ACTIVE certificate. Call after detachCertificate. */
  async retireCertificate(certificateId: string): Promise<void> {
    await this.setNotActive(certificateId, 'INACTIVE');
    await this.deleteCertificate(certificateId);
  }

  /** Call once the certificate is detached and not ACTIVE; a detachment AWS has not propagated yet is waited out. */
  async deleteCertificate(certificateId: string): Promise<void> {
    await afterDetachPropagates(
      () => ignoreNotFound(this.iot.deleteCertificate(certificateId)),
      (error) => error.details?.awsError === 'DeleteConflictException',
    );
  }

  /** A REVOKED certificate cannot become INACTIVE (CertificateStateException), but it is already out of service. */
  async setNotActive(certificateId: string, status: 'INACTIVE' | 'REVOKED'): Promise<void> {
    try {
      await ignoreNotFound(this.iot.updateCertificateStatus(certificateId, status));
    } catch (error) {
      if (!(isDomainError(error, 'CONFLICT') && error.details?.awsError === 'CertificateStateException')) throw error;
    }
  }

  /**
   * Non-default versions first: AWS refuses DeletePolicy while they exist. Call after every target
   * is detached. "It can take up to five minutes after a policy is detached before it's ready to be
   * deleted": until then AWS answers DeleteConflictException, which becomes RetryLaterError so the
   * operation waits and recovery deletes the policy when due, instead of holding a request for minutes.
   */
  async deletePolicy(policyName: string): Promise<void> {
    const versions = await ignoreNotFound(this.iot.listPolicyVersions(policyName), []);
    for (const version of versions.filter((v) => !v.isDefault)) {
      await ignoreNotFound(this.iot.deletePolicyVersion(policyName, version.versionId));
    }
    try {
      await ignoreNotFound(this.iot.deletePolicy(policyName));
    } catch (error) {
      if (!(isDomainError(error, 'CONFLICT') && error.details?.awsError === 'DeleteConflictException')) throw error;
      throw new RetryLaterError(
        `AWS does not yet let policy ${policyName} be deleted (up to five minutes after its detachment); deletion is retried`,
        {
          policyName,
        },
      );
    }
  }

  /** Call after every principal is detached. */
  async deleteThing(thingName: string): Promise<void> {
    await afterDetachPropagates(
      () => ignoreNotFound(this.iot.deleteThing(thingName)),
      (error) => error.details?.reason === 'PRINCIPALS_ATTACHED',
    );
  }

  /** Certificate ARNs attached to the thing, all pages; none when the thing is gone. */
  async thingCertificates(thingName: string): Promise<string[]> {
    const principals = await ignoreNotFound(
      allPages((token) => this.iot.listThingPrincipals(thingName, token)),
      [],
    );
    return principals.filter((principal) => CERTIFICATE_ARN.test(principal));
  }

  /** Every target the policy is attached to, all pages; none when the policy is gone. */
  async policyTargets(policyName: string): Promise<string[]> {
    return ignoreNotFound(
      allPages((token) => this.iot.listPolicyTargets(policyName, token)),
      [],
    );
  }
}

export function certificateIdOf(certificateArn: string): string | undefined {
  return CERTIFICATE_ARN.exec(certificateArn)?.[1];
}

async function afterDetachPropagates(call: () => Promise<void>, stillAttached: (error: DomainError) => boolean): Promise<void> {
  for (const wait of [...DETACH_PROPAGATION_WAITS_MS, undefined]) {
    try {
      return await call();
    } catch (error) {
      if (wait === undefined || !isDomainError(error, 'CONFLICT') || !stillAttached(error)) throw error;
      await sleep(wait);
    }
  }
}
