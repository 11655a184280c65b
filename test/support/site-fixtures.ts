import { compileEntitlements, type SiteGrant, type SiteRole } from '../../src/policy/entitlements.js';
import type { FakeAws } from '../fakes/fake-aws.js';

/**
 * Site names that exactly fill a user's first policy with `role` grants, and one more of the same
 * size that sorts before them: adding it versions the first policy and moves the last site to a
 * new second one; removing it again versions the first and frees the second. Computed with the
 * compiler itself, so it holds whatever the document sizes.
 */
export function fillingSites(aws: FakeAws, username: string, tag: string, role: SiteRole = 'operator', prefix = 'iotp') {
  const scope = { region: aws.region, accountId: aws.accountId };
  const name = (group: 'a' | 'b', i: number) => `${tag}-${group}${String(i).padStart(3, '0')}-${'x'.repeat(24)}`;
  const slots = (sites: string[]) => compileEntitlements({ scope, prefix, username, sites: sites.map((site): SiteGrant => ({ site, role })) }).length;
  const fill: string[] = [];
  while (slots([...fill, name('b', fill.length)]) === 1) fill.push(name('b', fill.length));
  return { fill, first: name('a', 0) };
}
