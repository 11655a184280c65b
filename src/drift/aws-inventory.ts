import { Inject, Injectable } from '@nestjs/common';
import { IotPort } from '../aws/iot.port.js';
import { allPages } from '../aws/pages.js';
import { ignoreNotFound } from '../common/errors/ignore-not-found.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { parsePolicyName, parseThingName } from '../policy/names.js';
import { mapLimit } from './map-limit.js';
import type { AwsCertificate, AwsInventory, AwsPolicyDocument } from './drift.types.js';

/**
 * Per-resource list calls in flight at once. The QuotaLimiter paces them to this replica's share
 * of the quota anyway; a few in parallel only hide AWS's latency, and stay far below the limiter's queue.
 */
const PARALLEL_CALLS = 4;

/**
 * The AWS side of drift: the account's things, policies and certificates (the List APIs,
 * every page), then one ListThingPrincipals per thing and one ListTargetsForPolicy per policy
 * of ours, and one GetPolicy and one ListPolicyVersions per policy of ours (a version may have been
 * edited by hand). No per-certificate calls: attachments are read from the thing and policy side.
 */
@Injectable()
export class AwsInventoryReader {
  constructor(
    private readonly iot: IotPort,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async read(): Promise<AwsInventory> {
    const prefix = this.config.resourcePrefix;
    const [thingNames, policyNames, certificates] = await Promise.all([
      allPages((token) => this.iot.listThings(token)),
      allPages((token) => this.iot.listPolicies(token)),
      allPages((token) => this.iot.listCertificates(token)),
    ]);
    // Only names in the shapes this service composes are ours; `<prefix>_Other` or three-part
    // names carry the prefix but were never created here, so they are left alone.
    // The per-resource calls of each kind have quotas of their own, so the three run side by side
    // (PARALLEL_CALLS each): the scan then lasts as long as its longest kind, not their sum.
    const ours = policyNames.filter((name) => judgedPolicy(prefix, name));
    const [things, policies, documents] = await Promise.all([
      this.attachments(
        thingNames.filter((name) => parseThingName(prefix, name)),
        (name, token) => this.iot.listThingPrincipals(name, token),
      ),
      this.attachments(ours, (name, token) => this.iot.listPolicyTargets(name, token)),
      this.documents(ours),
    ]);
    return { things, policies, certificates: new Map(certificates.map((c: AwsCertificate) => [c.certificateId, c])), documents };
  }

  /** GetPolicy and ListPolicyVersions per policy of ours; a policy deleted since it was listed is left out. */
  private async documents(names: string[]): Promise<Map<string, AwsPolicyDocument>> {
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
    const result = new Map<string, AwsPolicyDocument>();
    names.forEach((name, index) => {
      const document = read[index];
      if (document) result.set(name, document);
    });
    return result;
  }

  /** Name → attached principals; a resource deleted since it was listed is left out. */
  private async attachments(
    names: string[],
    list: (name: string, token?: string) => ReturnType<IotPort['listThingPrincipals']>,
  ): Promise<Map<string, Set<string>>> {
    const lists = await mapLimit(names, PARALLEL_CALLS, (name) => ignoreNotFound(allPages((token) => list(name, token))));
    const result = new Map<string, Set<string>>();
    names.forEach((name, index) => {
      const attached = lists[index];
      if (attached) result.set(name, new Set(attached));
    });
    return result;
  }
}

/**
 * Policies drift compares: users' first slot and user devices'. A site device's policy and a
 * user's further slots (`<prefix>_<user>.<n>`) are not in the database's user and device rows
 * this scan reads, so they are left out rather than reported as orphans.
 */
function judgedPolicy(prefix: string, name: string): boolean {
  const parsed = parsePolicyName(prefix, name);
  if (!parsed) return false;
  return parsed.kind === 'device' || (parsed.kind === 'user' && parsed.slot === 1);
}
