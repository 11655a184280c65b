import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { IotPort } from '../aws/iot.port.js';
import { allPages } from '../aws/pages.js';
import { isDomainError, type DomainError } from '../common/errors/domain-error.js';

const CERTIFICATE_ARN = /^arn:aws[\w-]*:iot:[^:]+:\d{12}:cert\/([0-9a-f]{64})$/;
/**
 * DetachThingPrincipal is asynchronous ("it might take several seconds for the detachment to
 * propagate"), so the DeleteCertificate or DeleteThing right after it may be refused as still
 * attached. Waits this long between attempts before giving the refusal to the caller, who can re-run.
 */
const DETACH_PROPAGATION_WAITS_MS = [1000, 2000, 4000];

/**
 * The AWS side of a device, removed in the order AWS enforces. Every removal is idempotent:
 * what is already gone counts as removed, so undo and re-run deletions can call them again.
 */
@Injectable()
export class DeviceResources {
  constructor(private readonly iot: IotPort) {}

  /** Detaching comes first: AWS refuses to delete a certificate, thing or policy that is still attached. */
  async detachCertificate(thingName: string, policyName: string, certificateArn: string): Promise<void> {
    await this.detachFromThing(thingName, certificateArn);
    await this.detachPolicy(policyName, certificateArn);
  }

  async detachFromThing(thingName: string, certificateArn: string): Promise<void> {
    await gone(this.iot.detachThingPrincipal(thingName, certificateArn));
  }

  async detachPolicy(policyName: string, target: string): Promise<void> {
    await gone(this.iot.detachPolicy(policyName, target));
  }

  /** INACTIVE, then deleted: AWS refuses to delete an ACTIVE certificate. Call after detachCertificate. */
  async retireCertificate(certificateId: string): Promise<void> {
    await this.setNotActive(certificateId, 'INACTIVE');
    await this.deleteCertificate(certificateId);
  }

  /** Call once the certificate is detached and not ACTIVE; a detachment AWS has not propagated yet is waited out. */
  async deleteCertificate(certificateId: string): Promise<void> {
    await afterDetachPropagates(
      () => gone(this.iot.deleteCertificate(certificateId)),
      (error) => error.details?.awsError === 'DeleteConflictException',
    );
  }

  /** A REVOKED certificate cannot become INACTIVE (CertificateStateException), but it is already out of service. */
  async setNotActive(certificateId: string, status: 'INACTIVE' | 'REVOKED'): Promise<void> {
    try {
      await gone(this.iot.updateCertificateStatus(certificateId, status));
    } catch (error) {
      if (!(isDomainError(error, 'CONFLICT') && error.details?.awsError === 'CertificateStateException')) throw error;
    }
  }

  /** Non-default versions first: AWS refuses DeletePolicy while they exist. */
  async deletePolicy(policyName: string): Promise<void> {
    const versions = await this.iot.listPolicyVersions(policyName).catch(goneAs([]));
    for (const version of versions.filter((v) => !v.isDefault)) {
      await gone(this.iot.deletePolicyVersion(policyName, version.versionId));
    }
    await gone(this.iot.deletePolicy(policyName));
  }

  /** Call after every principal is detached. */
  async deleteThing(thingName: string): Promise<void> {
    await afterDetachPropagates(
      () => gone(this.iot.deleteThing(thingName)),
      (error) => error.details?.reason === 'PRINCIPALS_ATTACHED',
    );
  }

  /** Certificate ARNs attached to the thing, all pages; none when the thing is gone. */
  async thingCertificates(thingName: string): Promise<string[]> {
    const principals = await allPages((token) => this.iot.listThingPrincipals(thingName, token)).catch(goneAs([]));
    return principals.filter((principal) => CERTIFICATE_ARN.test(principal));
  }

  /** Every target the policy is attached to, all pages; none when the policy is gone. */
  async policyTargets(policyName: string): Promise<string[]> {
    return allPages((token) => this.iot.listPolicyTargets(policyName, token)).catch(goneAs([]));
  }
}

export function certificateIdOf(certificateArn: string): string | undefined {
  return CERTIFICATE_ARN.exec(certificateArn)?.[1];
}

/** Resolves when the call succeeded or AWS says the resource does not exist. */
async function gone(call: Promise<void>): Promise<void> {
  await call.catch(goneAs(undefined));
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

function goneAs<T>(value: T) {
  return (error: unknown): T => {
    if (isDomainError(error, 'NOT_FOUND')) return value;
    throw error;
  };
}
