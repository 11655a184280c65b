import { compileEntitlements, type SiteGrant } from '../../src/policy/entitlements.js';
import { parsePolicyName } from '../../src/policy/names.js';
import type { FakeAws } from '../fakes/fake-aws.js';

/** What the local IoT holds for a user: each slot policy's default document, and the slot policies attached to the identity. */
export function slotsInAws(aws: FakeAws, prefix: string, username: string, identityId?: string | null) {
  const snapshot = aws.iot.snapshot();
  const mine = (name: string) => {
    const parsed = parsePolicyName(prefix, name);
    return parsed?.kind === 'user' && parsed.username === username;
  };
  const documents = Object.fromEntries(
    snapshot.policies
      .filter(mine)
      .sort()
      .map((name) => [name, JSON.parse(aws.iot.policyVersions(name).find((version) => version.isDefault)!.document) as unknown]),
  );
  const attached = snapshot.policyAttachments
    .filter((attachment) => mine(attachment.policyName) && attachment.target === identityId)
    .map((attachment) => attachment.policyName)
    .sort();
  return { documents, attached };
}

/**
 * What the membership should give, compiled here from the memberships the test expects (not from
 * the service's rows): the documents by policy name.
 */
export function expectedSlots(aws: FakeAws, prefix: string, username: string, sites: SiteGrant[]): Record<string, unknown> {
  const compiled = compileEntitlements({ scope: { region: aws.region, accountId: aws.accountId }, prefix, username, sites });
  return Object.fromEntries(compiled.map((policy) => [policy.policyName, policy.document]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}
