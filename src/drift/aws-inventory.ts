import { Inject, Injectable } from '@nestjs/common';
import type { CertificateStatus } from '../aws/iot.port.js';
import { IotPort } from '../aws/iot.port.js';
import { allPages, eachPage } from '../aws/pages.js';
import { UserPoolPort, type PoolUser } from '../aws/user-pool.port.js';
import { ignoreNotFound } from '../common/errors/ignore-not-found.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { parsePolicyName, parseSiteThingName, parseThingName } from '../policy/names.js';
import { mapLimit } from './map-limit.js';
import type { AwsCertificate, AwsPolicyDocument, OwnerKind } from './drift.types.js';

/**
 * Per-resource calls in flight at once, per kind. The QuotaLimiter paces them to this replica's
 * share of the quota anyway; a few in parallel only hide AWS's latency, and stay far below the limiter's queue.
 */
const PARALLEL_CALLS = 4;

/**
 * The AWS side of drift, a page or a batch at a time, so the scan never holds the account's
 * inventory: the List APIs page by page (the adapter asks for 250 items a page, ListUsers 60),
 * and, for a batch of names, one ListThingPrincipals per thing, one ListTargetsForPolicy per
 * policy, and one GetPolicy and one ListPolicyVersions per policy (a version may have been edited
 * by hand). Every call goes through the adapter, so through the QuotaLimiter.
 */
@Injectable()
export class AwsInventoryReader {
  constructor(
    private readonly iot: IotPort,
    private readonly userPool: UserPoolPort,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * ListThings, page by page: the names of ours (`<prefix>_<user>_<device>`, `<prefix>-site_<site>_<device>`).
   * `<prefix>_Other` or three-part names carry the prefix but were never created here, so they are left alone.
   */
  async *thingPages(): AsyncGenerator<string[]> {
    const prefix = this.config.resourcePrefix;
    for await (const page of eachPage((token) => this.iot.listThings(token))) yield page.filter((name) => judgedThingOwner(prefix, name));
  }

  /** ListPolicies, page by page: the names of ours that drift compares (see judgedPolicyOwner). */
  async *policyPages(): AsyncGenerator<string[]> {
    const prefix = this.config.resourcePrefix;
    for await (const page of eachPage((token) => this.iot.listPolicies(token))) {
      yield page.filter((name) => judgedPolicyOwner(prefix, name) !== undefined);
    }
  }

  /** ListCertificates, page by page: every certificate of the account and region (AWS cannot list only ours). */
  async *certificatePages(): AsyncGenerator<AwsCertificate[]> {
    for await (const page of eachPage((token) => this.iot.listCertificates(token))) {
      yield page.map(({ certificateId, certificateArn, status }) => ({ certificateId, certificateArn, status }));
    }
  }

  /** ListUsers, page by page. */
  poolUserPages(): AsyncGenerator<PoolUser[]> {
    return eachPage((token) => this.userPool.listUsers(token));
  }

  /** AdminGetUser: one pool user, or none. */
  async poolUser(username: string): Promise<PoolUser[]> {
    const user = await this.userPool.findUser(username);
    return user ? [user] : [];
  }

  /** Thing → attached principals; a thing deleted since it was listed is left out. */
  principals(thingNames: string[]): Promise<Map<string, Set<string>>> {
    return this.attachments(thingNames, (name, token) => this.iot.listThingPrincipals(name, token));
  }

  /** Policy → targets; a policy deleted since it was listed is left out. */
  targets(policyNames: string[]): Promise<Map<string, Set<string>>> {
    return this.attachments(policyNames, (name, token) => this.iot.listPolicyTargets(name, token));
  }

  /** GetPolicy and ListPolicyVersions per policy; a policy deleted since it was listed is left out. */
  async documents(names: string[]): Promise<Map<string, AwsPolicyDocument>> {
    const read = await mapLimit(names, PARALLEL_CALLS, async (name) => {
      const policy = await ignoreNotFound(this.iot.getPolicy(name));
      if (!policy) return undefined;
      const versions = await ignoreNotFound(this.iot.listPolicyVersions(name), []);
      const otherVersionIds = versions
        .filter((version) => !version.isDefault)
        .map((version) => version.versionId)
        .sort((a, b) => Number(a) - Number(b));
      return { ...policy, otherVersionIds };
    });
    return keyed(names, read);
  }

  /** DescribeCertificate per certificate: the status of each AWS has (a filtered scan reads them so instead of listing every certificate). */
  async statuses(certificateIds: string[]): Promise<Map<string, CertificateStatus>> {
    const read = await mapLimit(certificateIds, PARALLEL_CALLS, async (id) => (await ignoreNotFound(this.iot.describeCertificate(id)))?.status);
    return keyed(certificateIds, read);
  }

  private async attachments(
    names: string[],
    list: (name: string, token?: string) => ReturnType<IotPort['listThingPrincipals']>,
  ): Promise<Map<string, Set<string>>> {
    const lists = await mapLimit(names, PARALLEL_CALLS, async (name) => {
      const attached = await ignoreNotFound(allPages((token) => list(name, token)));
      return attached && new Set(attached);
    });
    return keyed(names, lists);
  }
}

function keyed<T>(names: string[], values: Array<T | undefined>): Map<string, T> {
  const result = new Map<string, T>();
  names.forEach((name, index) => {
    const value = values[index];
    if (value !== undefined) result.set(name, value);
  });
  return result;
}

/** The owner of a name drift compares: a user, or a site (its name) for a site device's thing or policy. */
export interface JudgedOwner {
  owner: string;
  ownerKind: OwnerKind;
}

/** The owner of one of our things: a user device's (`<prefix>_<user>_<device>`) or a site device's (`<prefix>-site_<site>_<device>`). */
export function judgedThingOwner(prefix: string, name: string): JudgedOwner | undefined {
  const site = parseSiteThingName(prefix, name);
  if (site) return { owner: site.site, ownerKind: 'site' };
  const user = parseThingName(prefix, name);
  return user && { owner: user.username, ownerKind: 'user' };
}

/**
 * The owner of a policy drift compares: a user's (their first, `<prefix>_<user>`, or a further one,
 * `<prefix>_<user>.<n>`, which follows from their site memberships), a user device's, or a site device's.
 */
export function judgedPolicyOwner(prefix: string, name: string): JudgedOwner | undefined {
  const parsed = parsePolicyName(prefix, name);
  if (parsed?.kind === 'site-device') return { owner: parsed.site, ownerKind: 'site' };
  return parsed && { owner: parsed.username, ownerKind: 'user' };
}
