import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import { MAX_POLICY_CHARS, policySize, renderPolicy, userPolicyDocument, validatePolicyDocument } from '../../../src/policy/documents.js';
import { compileEntitlements, planEntitlements, type SiteGrant } from '../../../src/policy/entitlements.js';
import { evaluate } from '../../../src/policy/evaluator.js';
import { MAX_POLICIES_PER_PRINCIPAL } from '../../../src/policy/names.js';
import { filter, scope, topic } from './policy-fixtures.js';

const base = { scope, prefix: 'iotp', username: 'alice' };
const sites = (count: number, role: SiteGrant['role'] = 'member', width = 40): SiteGrant[] =>
  Array.from({ length: count }, (_, i) => ({ site: `site-${String(i).padStart(3, '0')}-${'x'.repeat(width - 9)}`, role }));

function allowed(compiled: ReturnType<typeof compileEntitlements>, action: 'iot:Publish' | 'iot:Receive' | 'iot:Subscribe', resource: string) {
  return evaluate(compiled, { action, resource, context: {} }).decision === 'ALLOW';
}

describe('compileEntitlements', () => {
  it('gives a user in no site exactly the user policy, under its usual name', () => {
    const [only, ...rest] = compileEntitlements({ ...base, sites: [] });
    expect(rest).toEqual([]);
    expect(only?.policyName).toBe('iotp_alice');
    expect(only?.text).toBe(renderPolicy(userPolicyDocument(scope, 'alice')));
  });

  it('lets a member hear and subscribe to the site, and an operator also send its devices commands', () => {
    const member = compileEntitlements({ ...base, sites: [{ site: 'dock', role: 'member' }] });
    expect(allowed(member, 'iot:Receive', topic('_sites/dock/reader-1/scan'))).toBe(true);
    expect(allowed(member, 'iot:Subscribe', filter('_sites/dock/#'))).toBe(true);
    expect(allowed(member, 'iot:Publish', topic('_sites/dock/_cmd/reader-1/beep'))).toBe(false);
    expect(allowed(member, 'iot:Publish', topic('_sites/dock/reader-1/scan'))).toBe(false);
    expect(allowed(member, 'iot:Receive', topic('_sites/dockx/reader-1/scan'))).toBe(false);

    const operator = compileEntitlements({ ...base, sites: [{ site: 'dock', role: 'operator' }] });
    expect(allowed(operator, 'iot:Publish', topic('_sites/dock/_cmd/reader-1/beep'))).toBe(true);
    // Commands only: an operator cannot publish as one of the site's devices.
    expect(allowed(operator, 'iot:Publish', topic('_sites/dock/reader-1/scan'))).toBe(false);
    expect(allowed(operator, 'iot:Publish', topic('alice/phone/x'))).toBe(true);
  });

  it('packs many sites into the fewest documents that fit, each within AWS limits', () => {
    const grants = sites(40, 'operator');
    const compiled = compileEntitlements({ ...base, sites: grants });
    for (const policy of compiled) {
      validatePolicyDocument(policy.document);
      expect(policySize(policy.document)).toBeLessThanOrEqual(MAX_POLICY_CHARS);
    }
    const perSite =
      policySize(compileEntitlements({ ...base, sites: grants.slice(0, 2) })[0]!.document) -
      policySize(compileEntitlements({ ...base, sites: grants.slice(0, 1) })[0]!.document);
    const total = compiled.reduce((sum, policy) => sum + policySize(policy.document), 0);
    // No document could have taken another site: every one but the last is too full for it.
    for (const policy of compiled.slice(0, -1)) expect(policySize(policy.document) + perSite).toBeGreaterThan(MAX_POLICY_CHARS);
    expect(compiled.length).toBeLessThanOrEqual(Math.ceil(total / MAX_POLICY_CHARS) + 1);
    expect(compiled.map((p) => p.policyName)).toEqual(compiled.map((p) => (p.slot === 1 ? 'iotp_alice' : `iotp_alice.${p.slot}`)));
    expect(compiled.flatMap((p) => p.sites).sort()).toEqual(grants.map((g) => g.site).sort());
    for (const grant of grants) expect(allowed(compiled, 'iot:Publish', topic(`_sites/${grant.site}/_cmd/d/x`))).toBe(true);
  });

  it('gives the same documents for the same memberships in any order, and counts a site once', () => {
    const grants = sites(25);
    const forward = compileEntitlements({ ...base, sites: grants });
    const backward = compileEntitlements({ ...base, sites: [...grants].reverse().concat(grants.slice(0, 3)) });
    expect(backward.map((p) => p.text)).toEqual(forward.map((p) => p.text));
  });

  it('refuses memberships that need more than 10 policies, naming the limit and the numbers', () => {
    let error: unknown;
    try {
      compileEntitlements({ ...base, sites: sites(400) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).details).toMatchObject({
      reason: 'POLICY_LIMIT',
      maxPolicies: MAX_POLICIES_PER_PRINCIPAL,
      maxPolicyCharacters: MAX_POLICY_CHARS,
      sites: 400,
    });
    expect((error as DomainError).details?.neededPolicies).toBeGreaterThan(MAX_POLICIES_PER_PRINCIPAL);
  });
});

describe('planEntitlements', () => {
  it('creates new slots, versions changed ones, removes those no longer needed and leaves the rest', () => {
    const before = compileEntitlements({ ...base, sites: sites(30) });
    const after = compileEntitlements({ ...base, sites: sites(2) });
    const current = new Map(before.map((p) => [p.policyName, p.text]));
    const plan = planEntitlements(current, after);
    expect(plan.create).toEqual([]);
    expect(plan.version.map((p) => p.policyName)).toEqual(['iotp_alice']);
    expect(plan.remove).toEqual(
      before
        .slice(1)
        .map((p) => p.policyName)
        .sort(),
    );
    const again = planEntitlements(new Map(after.map((p) => [p.policyName, JSON.stringify(JSON.parse(p.text), null, 2)])), after);
    expect(again).toEqual({ create: [], version: [], remove: [], unchanged: ['iotp_alice'] });
  });
});
