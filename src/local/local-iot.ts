import { randomBytes } from 'node:crypto';
import { IotPort, type CertificateStatus, type CertificateSummary, type IssuedCertificate, type Page, type ThingRef } from '../aws/iot.port.js';
import { IotPolicies } from './iot-policies.js';
import { IotRegistry } from './iot-registry.js';
import { IotState, type IotSnapshot } from './iot-state.js';
import { LocalRuntime } from './local-runtime.js';
import { CertificateAuthority } from './x509.js';

export interface LocalIotOptions {
  runtime?: LocalRuntime;
  region?: string;
  accountId?: string;
  /** Items per list page (AWS: up to 250); tests keep it small so that callers' pagination is exercised. */
  pageSize?: number;
  /** Signs the certificates; default: a new CA. */
  ca?: CertificateAuthority;
  /** The data endpoint DescribeEndpoint answers; default: an AWS-looking random one. */
  endpoint?: string;
  /** How long after a detach AWS still refuses DeletePolicy (DeleteConflictException); default 0. */
  policyDeleteDelayMs?: number;
}

/**
 * A stateful AWS IoT control plane that enforces AWS's rules (names, limits, conflicts, delete
 * order) and fails with the DomainErrors the IotAdapter would raise. Every call goes through the
 * shared LocalRuntime, which logs it under its real AWS API name with an AWS-shaped input. The
 * tests bind it in place of the adapter; in local mode it is the service's AWS IoT.
 */
export class LocalIot extends IotPort {
  readonly runtime: LocalRuntime;
  readonly endpoint: string;
  readonly ca: CertificateAuthority;
  readonly state: IotState;
  private readonly policies: IotPolicies;
  private readonly registry: IotRegistry;

  constructor(options: LocalIotOptions = {}) {
    super();
    this.runtime = options.runtime ?? new LocalRuntime();
    const region = options.region ?? 'eu-west-1';
    this.state = new IotState(region, options.accountId ?? '123456789012', options.pageSize ?? 2);
    this.ca = options.ca ?? CertificateAuthority.create(new Date(this.runtime.clock()));
    this.policies = new IotPolicies(this.state, this.runtime.clock, options.policyDeleteDelayMs ?? 0);
    this.registry = new IotRegistry(this.state, this.runtime.clock, this.ca);
    this.endpoint = options.endpoint ?? `${randomBytes(7).toString('hex')}-ats.iot.${region}.amazonaws.com`;
  }

  // ---- test controls (not AWS calls, not logged) ----

  snapshot(): IotSnapshot {
    return this.state.snapshot();
  }

  /** Adds a non-default (or default) policy version, standing in for CreatePolicyVersion. */
  addPolicyVersion(policyName: string, document: string, setAsDefault = false): string {
    return this.policies.addVersion(policyName, document, setAsDefault);
  }

  /** AWS's delay between a policy's detachment and its deletion being accepted (see FakeIotPolicies). */
  set policyDeleteDelayMs(value: number) {
    this.policies.deleteDelayMs = value;
  }

  /** Every version of a policy with its document, oldest first (what GetPolicyVersion would show one by one). */
  policyVersions(policyName: string): Array<{ versionId: string; document: string; isDefault: boolean }> {
    return structuredClone(this.state.policies.get(policyName)?.versions ?? []);
  }

  certificateStatus(certificateId: string): CertificateStatus | undefined {
    return this.state.certificates.get(certificateId)?.status;
  }

  // ---- IotPort ----

  dataEndpoint(): Promise<string> {
    return this.call('DescribeEndpoint', { endpointType: 'iot:Data-ATS' }, () => this.endpoint);
  }

  createPolicy(policyName: string, document: string): Promise<{ policyArn: string }> {
    return this.call('CreatePolicy', { policyName, policyDocument: document }, () => this.policies.create(policyName, document));
  }

  /** For tests to read what AWS holds: the default version's document. */
  async getPolicyDocument(policyName: string): Promise<string> {
    return (await this.getPolicy(policyName)).document;
  }

  getPolicy(policyName: string): Promise<{ policyArn: string; document: string; defaultVersionId: string }> {
    return this.call('GetPolicy', { policyName }, () => ({
      policyArn: this.state.policy('GetPolicy', policyName).policyArn,
      ...this.policies.defaultVersion(policyName),
    }));
  }

  createPolicyVersion(policyName: string, document: string, setAsDefault: boolean): Promise<{ versionId: string }> {
    return this.call('CreatePolicyVersion', { policyName, policyDocument: document, setAsDefault }, () => ({
      versionId: this.policies.addVersion(policyName, document, setAsDefault),
    }));
  }

  listPolicyVersions(policyName: string): Promise<Array<{ versionId: string; isDefault: boolean }>> {
    return this.call('ListPolicyVersions', { policyName }, () => this.policies.versions(policyName));
  }

  async deletePolicyVersion(policyName: string, versionId: string): Promise<void> {
    await this.call('DeletePolicyVersion', { policyName, policyVersionId: versionId }, () => this.policies.deleteVersion(policyName, versionId));
  }

  async setDefaultPolicyVersion(policyName: string, versionId: string): Promise<void> {
    await this.call('SetDefaultPolicyVersion', { policyName, policyVersionId: versionId }, () => this.policies.setDefault(policyName, versionId));
  }

  async deletePolicy(policyName: string): Promise<void> {
    await this.call('DeletePolicy', { policyName }, () => this.policies.delete(policyName));
  }

  async attachPolicy(policyName: string, target: string): Promise<void> {
    await this.call('AttachPolicy', { policyName, target }, () => this.policies.attach(policyName, target));
  }

  async detachPolicy(policyName: string, target: string): Promise<void> {
    await this.call('DetachPolicy', { policyName, target }, () => this.policies.detach(policyName, target));
  }

  listPolicyTargets(policyName: string, nextToken?: string): Promise<Page<string>> {
    return this.call('ListTargetsForPolicy', { policyName, marker: nextToken }, () => this.policies.targets(policyName, nextToken));
  }

  listAttachedPolicies(target: string, nextToken?: string): Promise<Page<string>> {
    return this.call('ListAttachedPolicies', { target, recursive: false, marker: nextToken }, () => this.policies.attachedTo(target, nextToken));
  }

  listPolicies(nextToken?: string): Promise<Page<string>> {
    return this.call('ListPolicies', { marker: nextToken }, () => this.policies.list(nextToken));
  }

  createThing(thingName: string, attributes: Record<string, string>): Promise<ThingRef> {
    return this.call('CreateThing', { thingName, attributePayload: { attributes } }, () => this.registry.createThing(thingName, attributes));
  }

  async deleteThing(thingName: string): Promise<void> {
    await this.call('DeleteThing', { thingName }, () => this.registry.deleteThing(thingName));
  }

  listThings(nextToken?: string): Promise<Page<string>> {
    return this.call('ListThings', { nextToken }, () => this.registry.listThings(nextToken));
  }

  async attachThingPrincipal(thingName: string, principalArn: string): Promise<void> {
    await this.call('AttachThingPrincipal', { thingName, principal: principalArn }, () => this.registry.attachPrincipal(thingName, principalArn));
  }

  async detachThingPrincipal(thingName: string, principalArn: string): Promise<void> {
    await this.call('DetachThingPrincipal', { thingName, principal: principalArn }, () => this.registry.detachPrincipal(thingName, principalArn));
  }

  listThingPrincipals(thingName: string, nextToken?: string): Promise<Page<string>> {
    return this.call('ListThingPrincipals', { thingName, nextToken }, () => this.registry.principals(thingName, nextToken));
  }

  createCertificateFromCsr(csrPem: string): Promise<IssuedCertificate> {
    return this.call('CreateCertificateFromCsr', { certificateSigningRequest: csrPem, setAsActive: true }, () =>
      this.registry.certificateFromCsr(csrPem),
    );
  }

  createKeysAndCertificate(): Promise<IssuedCertificate & { privateKey: string }> {
    return this.call('CreateKeysAndCertificate', { setAsActive: true }, () => {
      const issued = this.registry.keysAndCertificate();
      this.runtime.secrets.add(issued.privateKey);
      return issued;
    });
  }

  async updateCertificateStatus(certificateId: string, status: 'ACTIVE' | 'INACTIVE' | 'REVOKED'): Promise<void> {
    await this.call('UpdateCertificate', { certificateId, newStatus: status }, () => this.registry.updateStatus(certificateId, status));
  }

  async deleteCertificate(certificateId: string): Promise<void> {
    await this.call('DeleteCertificate', { certificateId, forceDelete: false }, () => this.registry.deleteCertificate(certificateId));
  }

  listCertificates(nextToken?: string): Promise<Page<CertificateSummary>> {
    return this.call('ListCertificates', { marker: nextToken, ascendingOrder: false }, () => this.registry.listCertificates(nextToken));
  }

  describeCertificate(certificateId: string): Promise<{ certificatePem: string; status: CertificateStatus }> {
    return this.call('DescribeCertificate', { certificateId }, () => {
      const { certificatePem, status } = this.state.certificate('DescribeCertificate', certificateId);
      return { certificatePem, status };
    });
  }

  private call<T>(api: string, input: Record<string, unknown>, action: () => T): Promise<T> {
    return this.runtime.invoke('iot', api, input, action);
  }
}
