/**
 * The entitlement compiler: a user's own grant plus the sites they belong to, as the fewest IoT
 * policy documents AWS accepts on one Cognito identity (at most MAX_POLICIES_PER_PRINCIPAL, each
 * at most MAX_POLICY_CHARS without whitespace). The same documents are attached to the identity and
 * returned by the custom authorizer, so both kinds of app see the same rights.
 *
 * A user in no site gets exactly `userPolicyDocument`, as before sites existed. Each site adds
 * resources, never statements: Receive and Subscribe on the site's topics (`_sites/<site>/...`),
 * and for operators Publish on its command topics. Sites are packed first-fit, largest first, then
 * by name, so the same memberships always give the same documents.
 */
import { DomainError } from '../common/errors/domain-error.js';
import {
  iotArn,
  MAX_POLICY_CHARS,
  policySize,
  userPolicyDocument,
  type PolicyDocument,
  type PolicyScope,
  type PolicyStatement,
} from './documents.js';
import { assertSafeName, entitlementPolicyName, MAX_POLICIES_PER_PRINCIPAL, siteCommandsPrefix, siteTopicPrefix } from './names.js';

export type SiteRole = 'member' | 'operator';

export interface SiteGrant {
  site: string;
  role: SiteRole;
}

export interface CompiledPolicy {
  /** 1 for `<prefix>_<user>`, 2.. for the extra documents. */
  slot: number;
  policyName: string;
  document: PolicyDocument;
  /** The document as sent to AWS (and compared with what AWS holds). */
  text: string;
  /** The sites this document grants. */
  sites: string[];
}

export interface EntitlementInput {
  scope: PolicyScope;
  prefix: string;
  username: string;
  sites: SiteGrant[];
}

/** Throws CONFLICT (reason POLICY_LIMIT) when the grants need more documents than AWS lets one identity hold. */
export function compileEntitlements(input: EntitlementInput): CompiledPolicy[] {
  const bins = pack(input);
  if (bins.length > MAX_POLICIES_PER_PRINCIPAL) {
    throw DomainError.conflict(
      `User ${input.username} would need ${bins.length} IoT policies for ${input.sites.length} sites; AWS allows at most ${MAX_POLICIES_PER_PRINCIPAL} per Cognito identity`,
      {
        reason: 'POLICY_LIMIT',
        limit: 'policies per principal',
        maxPolicies: MAX_POLICIES_PER_PRINCIPAL,
        maxPolicyCharacters: MAX_POLICY_CHARS,
        neededPolicies: bins.length,
        sites: input.sites.length,
        username: input.username,
      },
    );
  }
  return bins.map((bin, index) => {
    const slot = index + 1;
    return {
      slot,
      policyName: entitlementPolicyName(input.prefix, input.username, slot),
      document: bin.document,
      text: JSON.stringify(bin.document),
      sites: bin.sites,
    };
  });
}

/** The resources one site adds, by action. */
export function siteResources(scope: PolicyScope, grant: SiteGrant): { receive: string; subscribe: string; publish?: string } {
  const topics = `${siteTopicPrefix(grant.site)}*`;
  return {
    receive: iotArn(scope, 'topic', topics),
    subscribe: iotArn(scope, 'topicfilter', topics),
    ...(grant.role === 'operator' ? { publish: iotArn(scope, 'topic', `${siteCommandsPrefix(grant.site)}*`) } : {}),
  };
}

interface Bin {
  own: boolean;
  grants: SiteGrant[];
  sites: string[];
  document: PolicyDocument;
}

function pack(input: EntitlementInput): Bin[] {
  const grants = uniqueBySite(input.sites);
  const own = userPolicyDocument(input.scope, input.username);
  const bins: Bin[] = [{ own: true, grants: [], sites: [], document: own }];
  const sized = grants
    .map((grant) => ({ grant, size: policySize(siteDocument(input.scope, undefined, [grant])) }))
    .sort((a, b) => b.size - a.size || a.grant.site.localeCompare(b.grant.site));
  for (const { grant } of sized) {
    const home = bins.find((bin) => fits(input.scope, own, bin, grant));
    if (home) place(input.scope, own, home, grant);
    else {
      const bin: Bin = { own: false, grants: [], sites: [], document: siteDocument(input.scope, undefined, [grant]) };
      if (policySize(bin.document) > MAX_POLICY_CHARS) throw new Error(`site ${grant.site} alone does not fit one policy document`);
      place(input.scope, own, bin, grant);
      bins.push(bin);
    }
  }
  return bins;
}

function fits(scope: PolicyScope, own: PolicyDocument, bin: Bin, grant: SiteGrant): boolean {
  return policySize(siteDocument(scope, bin.own ? own : undefined, [...bin.grants, grant])) <= MAX_POLICY_CHARS;
}

function place(scope: PolicyScope, own: PolicyDocument, bin: Bin, grant: SiteGrant): void {
  bin.grants.push(grant);
  bin.grants.sort((a, b) => a.site.localeCompare(b.site));
  bin.sites = bin.grants.map((g) => g.site);
  bin.document = siteDocument(scope, bin.own ? own : undefined, bin.grants);
}

/** The user's own statements (slot 1 only), then one statement per action listing every site's resource. */
function siteDocument(scope: PolicyScope, own: PolicyDocument | undefined, grants: SiteGrant[]): PolicyDocument {
  const resources = grants.map((grant) => siteResources(scope, grant));
  const statements: PolicyStatement[] = [...(own?.Statement ?? [])];
  const add = (action: string, list: string[]) => {
    if (list.length > 0) statements.push({ Effect: 'Allow', Action: action, Resource: list.length === 1 ? (list[0] as string) : list });
  };
  add(
    'iot:Receive',
    resources.map((r) => r.receive),
  );
  add(
    'iot:Subscribe',
    resources.map((r) => r.subscribe),
  );
  add(
    'iot:Publish',
    resources.flatMap((r) => (r.publish ? [r.publish] : [])),
  );
  return { Version: '2012-10-17', Statement: statements };
}

/** One grant per site; an operator grant covers a member's. */
function uniqueBySite(grants: SiteGrant[]): SiteGrant[] {
  const bySite = new Map<string, SiteGrant>();
  for (const grant of grants) {
    assertSafeName('site name', grant.site);
    const seen = bySite.get(grant.site);
    if (!seen || grant.role === 'operator') bySite.set(grant.site, grant);
  }
  return [...bySite.values()];
}

/** What changes between the documents AWS holds and the compiled ones, by policy name. */
export interface EntitlementPlan {
  /** New slots: CreatePolicy, then AttachPolicy to the identity. */
  create: CompiledPolicy[];
  /** Slots whose document changed: CreatePolicyVersion as default (oldest non-default pruned at 5 versions). */
  version: CompiledPolicy[];
  /** Slots no longer needed: DetachPolicy, then DeletePolicy. */
  remove: string[];
  unchanged: string[];
}

/** `current`: policy name → document text, for the slots the user holds now. */
export function planEntitlements(current: ReadonlyMap<string, string>, next: CompiledPolicy[]): EntitlementPlan {
  const plan: EntitlementPlan = { create: [], version: [], remove: [], unchanged: [] };
  for (const policy of next) {
    const held = current.get(policy.policyName);
    if (held === undefined) plan.create.push(policy);
    else if (sameDocument(held, policy.text)) plan.unchanged.push(policy.policyName);
    else plan.version.push(policy);
  }
  const wanted = new Set(next.map((policy) => policy.policyName));
  plan.remove = [...current.keys()].filter((name) => !wanted.has(name)).sort();
  return plan;
}

/** AWS may return a document re-serialised; compare meaning, not bytes. */
export function sameDocument(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}
