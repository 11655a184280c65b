import { certificateIdOf } from '../aws/iot-teardown.js';
import { isDomainError } from '../common/errors/domain-error.js';
import type { PolicyScope } from '../policy/documents.js';
import { compileEntitlements, type SiteGrant } from '../policy/entitlements.js';
import { deviceSubject, siteSubject, userSubject } from '../operations/subjects.js';
import { parsePolicyName } from '../policy/names.js';

/**
 * Which attachments the database accounts for. Pure, and shared by detection and by each repair,
 * which asks again under the subject's lock before it detaches anything.
 */

/** The device a certificate row belongs to. */
export interface CertificateClaim {
  thingName: string;
  policyName: string;
}

/** Who a policy belongs to according to the rows. */
export type PolicyClaim = { kind: 'user'; identityId: string | null; status: 'ACTIVE' | 'DISABLED' } | { kind: 'device'; thingName: string };

/** Why `principal` should not be attached to the thing, or undefined when a row accounts for it. */
export function unclaimedThingPrincipal(thingName: string, principal: string, certificate: CertificateClaim | undefined): string | undefined {
  const certificateId = certificateIdOf(principal);
  if (!certificateId) return 'Only certificates of the device belong on its thing';
  if (!certificate) return `No certificate record has id ${certificateId}`;
  if (certificate.thingName !== thingName) return `Certificate ${certificateId} belongs to ${certificate.thingName}`;
  return undefined;
}

/** Why the policy should not be attached to `target`, or undefined when a row accounts for it. */
export function unclaimedPolicyTarget(
  policy: PolicyClaim,
  policyName: string,
  target: string,
  certificate: CertificateClaim | undefined,
): string | undefined {
  const certificateId = certificateIdOf(target);
  if (policy.kind === 'user') {
    if (certificateId) return "A user policy belongs on the user's Cognito identity, never on a certificate";
    if (target !== policy.identityId) return `Not the user's Cognito identity (${policy.identityId ?? 'none recorded'})`;
    // Disabling detaches the policy; one still attached means a disable stopped half-way.
    if (policy.status === 'DISABLED') return 'The user is disabled, so its policy must not be attached to its identity';
    return undefined;
  }
  if (!certificateId) return "A device policy belongs on the device's certificates only";
  if (!certificate) return `No certificate record has id ${certificateId}`;
  if (certificate.policyName !== policyName) return `Certificate ${certificateId} belongs to ${certificate.thingName}`;
  return undefined;
}

/**
 * The operation subjects that guard a thing or policy name: the device's and its owner's (a
 * user deletion deletes the devices). Thing names have the device policy's shape, so one parse serves both.
 */
export function subjectsOf(prefix: string, name: string): string[] {
  const parsed = parsePolicyName(prefix, name);
  if (!parsed) return [];
  if (parsed.kind === 'user') return [userSubject(parsed.username)];
  if (parsed.kind === 'site-device') return [deviceSubject(name), siteSubject(parsed.site)];
  return [deviceSubject(name), userSubject(parsed.username)];
}

/** Owner and device named by one of our thing or policy names; a site device's owner is its site (`site` says so). */
export function ownerOf(prefix: string, name: string): { owner?: string; site?: string; device?: string } {
  const parsed = parsePolicyName(prefix, name);
  if (!parsed) return {};
  if (parsed.kind === 'user') return { owner: parsed.username };
  if (parsed.kind === 'site-device') return { owner: parsed.site, site: parsed.site, device: parsed.device };
  return { owner: parsed.username, device: parsed.device };
}

/** One of the policies a user should hold: slot 1 is the user's own (`<prefix>_<user>`), 2.. the further ones their sites need. */
export interface ExpectedPolicy {
  slot: number;
  policyName: string;
  /** The document as the service writes it. */
  text: string;
}

/**
 * What the user's sites compile to: the policies AWS should hold for them, as the membership
 * changes apply them (the sites as DriftRepository reads them: a site being deleted is leaving).
 * Undefined when the memberships no longer fit (never, unless they were written by hand): the
 * user's further policies are then not judged.
 */
export function expectedPolicies(scope: PolicyScope, prefix: string, username: string, sites: SiteGrant[]): ExpectedPolicy[] | undefined {
  try {
    return compileEntitlements({ scope, prefix, username, sites }).map(({ slot, policyName, text }) => ({ slot, policyName, text }));
  } catch (error) {
    if (isDomainError(error, 'CONFLICT')) return undefined;
    throw error;
  }
}

/** The user and slot of one of our further user policies (`<prefix>_<user>.<n>`, n ≥ 2), or undefined. */
export function policySlot(prefix: string, name: string): { username: string; slot: number } | undefined {
  const parsed = parsePolicyName(prefix, name);
  return parsed?.kind === 'user' && parsed.slot > 1 ? { username: parsed.username, slot: parsed.slot } : undefined;
}
