import type { CertificateStatus, Page } from '../aws/iot.port.js';
import type { DomainError } from '../common/errors/domain-error.js';
import { InvalidTokenError, paginate } from './pagination.js';
import { awsError } from './local-runtime.js';

/** The in-memory IoT registry and policy store that the local IoT's rules operate on. */

export interface ThingRecord {
  thingName: string;
  thingArn: string;
  attributes: Record<string, string>;
}

export interface PolicyRecord {
  policyName: string;
  policyArn: string;
  versions: Array<{ versionId: string; document: string; isDefault: boolean }>;
  nextVersionId: number;
}

export interface IotCertificateRecord {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  status: CertificateStatus;
  /** Milliseconds since the epoch (the state file holds JSON). */
  createdAt: number;
}

export interface IotSnapshot {
  things: Array<{ thingName: string; attributes: Record<string, string> }>;
  certificates: Array<{ certificateId: string; status: CertificateStatus }>;
  policies: string[];
  policyAttachments: Array<{ policyName: string; target: string }>;
  thingPrincipals: Array<{ thingName: string; principal: string }>;
}

/** The registry as the sandbox writes it to its state file. */
export interface IotStateData {
  things: ThingRecord[];
  policies: PolicyRecord[];
  certificates: IotCertificateRecord[];
  policyTargets: Array<[policyName: string, targets: string[]]>;
  thingPrincipals: Array<[thingName: string, principals: string[]]>;
}

const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const CERTIFICATE_ID = /^[0-9a-f]{64}$/;
/** Cognito identity ids, the other kind of principal the service attaches. */
const IDENTITY_ID = /^[\w-]+:[0-9a-f-]+$/;

export class IotState {
  readonly things = new Map<string, ThingRecord>();
  readonly policies = new Map<string, PolicyRecord>();
  readonly certificates = new Map<string, IotCertificateRecord>();
  /** policyName → targets (certificate ARNs or identity ids). */
  readonly policyTargets = new Map<string, Set<string>>();
  /** thingName → principals (certificate ARNs or identity ids). */
  readonly thingPrincipals = new Map<string, Set<string>>();

  constructor(
    readonly region: string,
    readonly accountId: string,
    readonly pageSize: number,
  ) {}

  arn(kind: 'thing' | 'cert' | 'policy', name: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${kind}/${name}`;
  }

  fail(api: string, name: string, message: string): DomainError {
    return awsError('iot', api, name, message);
  }

  checkThingName(api: string, thingName: string): void {
    if (!THING_NAME.test(thingName))
      throw this.fail(api, 'InvalidRequestException', `Thing name ${JSON.stringify(thingName)} must match [a-zA-Z0-9:_-]+ (1-128 characters)`);
  }

  checkPolicyName(api: string, policyName: string): void {
    if (!POLICY_NAME.test(policyName))
      throw this.fail(api, 'InvalidRequestException', `Policy name ${JSON.stringify(policyName)} must match [\\w+=,.@-]+ (1-128 characters)`);
  }

  checkCertificateId(api: string, certificateId: string): void {
    if (!CERTIFICATE_ID.test(certificateId)) throw this.fail(api, 'InvalidRequestException', 'Certificate id must be 64 hexadecimal characters');
  }

  policy(api: string, policyName: string): PolicyRecord {
    this.checkPolicyName(api, policyName);
    const policy = this.policies.get(policyName);
    if (!policy) throw this.fail(api, 'ResourceNotFoundException', `Policy not found: ${policyName}`);
    return policy;
  }

  thing(api: string, thingName: string): ThingRecord {
    this.checkThingName(api, thingName);
    const thing = this.things.get(thingName);
    if (!thing) throw this.fail(api, 'ResourceNotFoundException', `Thing not found: ${thingName}`);
    return thing;
  }

  certificate(api: string, certificateId: string): IotCertificateRecord {
    this.checkCertificateId(api, certificateId);
    const certificate = this.certificates.get(certificateId);
    if (!certificate) throw this.fail(api, 'ResourceNotFoundException', `Certificate not found: ${certificateId}`);
    return certificate;
  }

  /** A principal is a certificate ARN that must exist, or a Cognito identity id. */
  checkPrincipal(api: string, principal: string): void {
    const certificateArn = /^arn:aws:iot:[^:]+:\d{12}:cert\/([0-9a-f]{64})$/.exec(principal);
    if (certificateArn) {
      const certificate = this.certificates.get(certificateArn[1]!);
      if (!certificate || certificate.certificateArn !== principal)
        throw this.fail(api, 'ResourceNotFoundException', `Principal not found: ${principal}`);
      return;
    }
    if (!IDENTITY_ID.test(principal)) throw this.fail(api, 'InvalidRequestException', `Invalid principal: ${principal}`);
  }

  page<T>(api: string, items: T[], keyOf: (item: T) => string, token?: string): Page<T> {
    try {
      return paginate(items, keyOf, token, this.pageSize);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw this.fail(api, 'InvalidRequestException', 'Invalid pagination token');
      throw error;
    }
  }

  /** Whether any policy is attached to this target. */
  hasPolicies(target: string): boolean {
    return [...this.policyTargets.values()].some((targets) => targets.has(target));
  }

  /** Whether any thing has this principal attached. */
  isThingPrincipal(principal: string): boolean {
    return [...this.thingPrincipals.values()].some((principals) => principals.has(principal));
  }

  toData(): IotStateData {
    return structuredClone({
      things: [...this.things.values()],
      policies: [...this.policies.values()],
      certificates: [...this.certificates.values()],
      policyTargets: [...this.policyTargets].map(([name, targets]) => [name, [...targets]]),
      thingPrincipals: [...this.thingPrincipals].map(([name, principals]) => [name, [...principals]]),
    });
  }

  /** Replaces everything with what toData() returned earlier. */
  load(data: IotStateData): void {
    const copy = structuredClone(data);
    this.things.clear();
    this.policies.clear();
    this.certificates.clear();
    this.policyTargets.clear();
    this.thingPrincipals.clear();
    for (const thing of copy.things) this.things.set(thing.thingName, thing);
    for (const policy of copy.policies) this.policies.set(policy.policyName, policy);
    for (const certificate of copy.certificates) this.certificates.set(certificate.certificateId, certificate);
    for (const [name, targets] of copy.policyTargets) this.policyTargets.set(name, new Set(targets));
    for (const [name, principals] of copy.thingPrincipals) this.thingPrincipals.set(name, new Set(principals));
  }

  snapshot(): IotSnapshot {
    return {
      things: [...this.things.values()].map((t) => ({ thingName: t.thingName, attributes: { ...t.attributes } })),
      certificates: [...this.certificates.values()].map((c) => ({ certificateId: c.certificateId, status: c.status })),
      policies: [...this.policies.keys()],
      policyAttachments: [...this.policyTargets].flatMap(([policyName, targets]) => [...targets].map((target) => ({ policyName, target }))),
      thingPrincipals: [...this.thingPrincipals].flatMap(([thingName, principals]) => [...principals].map((principal) => ({ thingName, principal }))),
    };
  }
}
