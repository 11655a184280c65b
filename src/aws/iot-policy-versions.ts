import { ignoreNotFound } from '../common/errors/ignore-not-found.js';
import type { IotPort } from './iot.port.js';

/** AWS: "A managed policy can have up to five versions." */
export const MAX_POLICY_VERSIONS = 5;

/**
 * Changing what a policy grants in place: a new default version, and taking it back. AWS keeps at
 * most five versions of a policy ("If the policy has five versions, you must use DeletePolicyVersion
 * to delete an existing version before you create a new one", CreatePolicyVersion), so when five
 * exist the oldest non-default one is deleted first to make room. Every attachment of the
 * policy sees the new default at once (within AWS's policy cache), so no detach/attach is needed.
 */
export async function createDefaultVersion(iot: IotPort, policyName: string, document: string): Promise<{ versionId: string }> {
  const versions = await iot.listPolicyVersions(policyName);
  if (versions.length >= MAX_POLICY_VERSIONS) {
    // Version ids grow with each version (1, 2, 3, ...): the lowest non-default one is the oldest.
    const [oldest] = versions.filter((version) => !version.isDefault).sort((a, b) => Number(a.versionId) - Number(b.versionId));
    if (oldest) await ignoreNotFound(iot.deletePolicyVersion(policyName, oldest.versionId));
  }
  return iot.createPolicyVersion(policyName, document, true);
}

/**
 * Makes `previousVersionId` the default again and deletes the version that replaced it: the undo
 * of createDefaultVersion, also when its answer was lost (the default is read, not remembered).
 * A policy already gone, or already back at that version, counts as restored.
 */
export async function restoreDefaultVersion(iot: IotPort, policyName: string, previousVersionId: string): Promise<void> {
  const current = await ignoreNotFound(iot.getPolicy(policyName));
  if (!current || current.defaultVersionId === previousVersionId) return;
  await iot.setDefaultPolicyVersion(policyName, previousVersionId);
  await ignoreNotFound(iot.deletePolicyVersion(policyName, current.defaultVersionId));
}
