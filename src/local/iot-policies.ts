import type { Page } from '../aws/iot.port.js';
import type { IotState } from './iot-state.js';

/** AWS IoT's policy rules: document limits, versions, attachments and their delete order. */

const MAX_DOCUMENT_CHARS = 2048;
const MAX_POLICIES_PER_TARGET = 10;
const MAX_VERSIONS = 5;

export class IotPolicies {
  /** When each policy last lost a target, by the runtime's clock. */
  private readonly detachedAt = new Map<string, number>();

  constructor(
    private readonly state: IotState,
    private readonly clock: () => number = Date.now,
    /**
     * AWS: "it can take up to five minutes after a policy is detached before it's ready to be
     * deleted"; until then DeletePolicy is DeleteConflictException. 0 (the default) deletes at once.
     */
    public deleteDelayMs = 0,
  ) {}

  create(policyName: string, document: string): { policyArn: string } {
    const api = 'CreatePolicy';
    this.state.checkPolicyName(api, policyName);
    this.checkDocument(api, document);
    if (this.state.policies.has(policyName))
      throw this.state.fail(api, 'ResourceAlreadyExistsException', `Policy cannot be created - name already exists (name=${policyName})`);
    const policyArn = this.state.arn('policy', policyName);
    this.state.policies.set(policyName, { policyName, policyArn, versions: [{ versionId: '1', document, isDefault: true }], nextVersionId: 2 });
    return { policyArn };
  }

  /** CreatePolicyVersion: at most 5 versions (VersionsLimitExceededException, botocore iot 2015-05-28). */
  addVersion(policyName: string, document: string, setAsDefault = false): string {
    const api = 'CreatePolicyVersion';
    const policy = this.state.policy(api, policyName);
    this.checkDocument(api, document);
    if (policy.versions.length >= MAX_VERSIONS)
      throw this.state.fail(api, 'VersionsLimitExceededException', 'The policy has the maximum number of versions (5)');
    const versionId = String(policy.nextVersionId++);
    if (setAsDefault) for (const version of policy.versions) version.isDefault = false;
    policy.versions.push({ versionId, document, isDefault: setAsDefault });
    return versionId;
  }

  document(policyName: string): string {
    const policy = this.state.policy('GetPolicy', policyName);
    return policy.versions.find((v) => v.isDefault)!.document;
  }

  defaultVersion(policyName: string): { document: string; defaultVersionId: string } {
    const version = this.state.policy('GetPolicy', policyName).versions.find((v) => v.isDefault)!;
    return { document: version.document, defaultVersionId: version.versionId };
  }

  versions(policyName: string): Array<{ versionId: string; isDefault: boolean }> {
    return this.state.policy('ListPolicyVersions', policyName).versions.map(({ versionId, isDefault }) => ({ versionId, isDefault }));
  }

  deleteVersion(policyName: string, versionId: string): void {
    const api = 'DeletePolicyVersion';
    const policy = this.state.policy(api, policyName);
    const version = policy.versions.find((v) => v.versionId === versionId);
    if (!version) throw this.state.fail(api, 'ResourceNotFoundException', `Policy version not found: ${policyName} v${versionId}`);
    if (version.isDefault) throw this.state.fail(api, 'DeleteConflictException', 'Cannot delete the default version of a policy');
    policy.versions = policy.versions.filter((v) => v !== version);
  }

  /** SetDefaultPolicyVersion: ResourceNotFoundException for an unknown policy or version (botocore iot 2015-05-28). */
  setDefault(policyName: string, versionId: string): void {
    const api = 'SetDefaultPolicyVersion';
    const policy = this.state.policy(api, policyName);
    if (!/^[0-9]+$/.test(versionId)) throw this.state.fail(api, 'InvalidRequestException', `Invalid policy version id: ${versionId}`);
    const version = policy.versions.find((v) => v.versionId === versionId);
    if (!version) throw this.state.fail(api, 'ResourceNotFoundException', `Policy version not found: ${policyName} v${versionId}`);
    for (const other of policy.versions) other.isDefault = other === version;
  }

  delete(policyName: string): void {
    const api = 'DeletePolicy';
    this.state.policy(api, policyName);
    if ((this.state.policyTargets.get(policyName)?.size ?? 0) > 0) {
      throw this.state.fail(
        api,
        'DeleteConflictException',
        `The policy cannot be deleted as the policy is attached to one or more principals (name=${policyName})`,
      );
    }
    if (this.state.policies.get(policyName)!.versions.length > 1) {
      throw this.state.fail(
        api,
        'DeleteConflictException',
        `The policy cannot be deleted as versions other than the default version exist (name=${policyName})`,
      );
    }
    const detachedAt = this.detachedAt.get(policyName);
    if (detachedAt !== undefined && this.clock() - detachedAt < this.deleteDelayMs) {
      throw this.state.fail(api, 'DeleteConflictException', `The policy cannot be deleted yet: it was detached recently (name=${policyName})`);
    }
    this.state.policies.delete(policyName);
    this.state.policyTargets.delete(policyName);
    this.detachedAt.delete(policyName);
  }

  attach(policyName: string, target: string): void {
    const api = 'AttachPolicy';
    this.state.policy(api, policyName);
    this.state.checkPrincipal(api, target);
    const targets = this.state.policyTargets.get(policyName) ?? new Set<string>();
    if (targets.has(target)) return; // AWS answers success for an existing attachment.
    const attachedCount = [...this.state.policyTargets.values()].filter((set) => set.has(target)).length;
    if (attachedCount >= MAX_POLICIES_PER_TARGET)
      throw this.state.fail(api, 'LimitExceededException', `Target ${target} already has ${MAX_POLICIES_PER_TARGET} policies attached`);
    targets.add(target);
    this.state.policyTargets.set(policyName, targets);
  }

  /**
   * Detaching what is not attached succeeds, for an unknown policy too: AWS's model gives DetachPolicy
   * no ResourceNotFoundException (botocore iot 2015-05-28: InvalidRequest, Throttling, Unauthorized,
   * ServiceUnavailable, InternalFailure, LimitExceeded), so it cannot answer "not found". A malformed
   * name is still InvalidRequestException.
   */
  detach(policyName: string, target: string): void {
    this.state.checkPolicyName('DetachPolicy', policyName);
    const targets = this.state.policyTargets.get(policyName);
    if (targets?.delete(target)) this.detachedAt.set(policyName, this.clock());
    if (targets?.size === 0) this.state.policyTargets.delete(policyName);
  }

  targets(policyName: string, token?: string): Page<string> {
    const api = 'ListTargetsForPolicy';
    this.state.policy(api, policyName);
    return this.state.page(api, [...(this.state.policyTargets.get(policyName) ?? [])], (t) => t, token);
  }

  attachedTo(target: string, token?: string): Page<string> {
    const names = [...this.state.policyTargets].filter(([, targets]) => targets.has(target)).map(([name]) => name);
    return this.state.page('ListAttachedPolicies', names, (n) => n, token);
  }

  list(token?: string): Page<string> {
    return this.state.page('ListPolicies', [...this.state.policies.keys()], (n) => n, token);
  }

  private checkDocument(api: string, document: string): void {
    if (document.replace(/\s/g, '').length > MAX_DOCUMENT_CHARS) {
      throw this.state.fail(api, 'MalformedPolicyException', `Policy document exceeds ${MAX_DOCUMENT_CHARS} characters excluding whitespace`);
    }
    try {
      const parsed: unknown = JSON.parse(document);
      if (!parsed || typeof parsed !== 'object' || !('Statement' in parsed)) throw new Error('no Statement');
    } catch {
      throw this.state.fail(api, 'MalformedPolicyException', 'Policy document is not a JSON policy with a Statement');
    }
  }
}
