import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  SetDefaultPolicyVersionCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { awsClientOptions, withRetryRules } from './aws-client-options.js';
import { callAws, required } from './aws-call.js';
import { IotPort, type CertificateStatus, type CertificateSummary, type IssuedCertificate, type Page, type ThingRef } from './iot.port.js';
import { QuotaLimiter } from './quota-limiter.js';

/** The largest page the list APIs accept (pageSize, or maxResults for ListThings): fewer calls against their quotas. */
const PAGE_SIZE = 250;

@Injectable()
export class IotAdapter extends IotPort implements OnModuleDestroy {
  private sdk?: IoTClient;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: QuotaLimiter,
  ) {
    super();
  }

  onModuleDestroy(): void {
    this.sdk?.destroy();
  }

  async dataEndpoint(): Promise<string> {
    const out = await this.call('DescribeEndpoint', (c) => c.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' })));
    return required(out.endpointAddress, 'endpointAddress', 'DescribeEndpoint');
  }

  async createPolicy(policyName: string, document: string): Promise<{ policyArn: string }> {
    const out = await this.call('CreatePolicy', (c) => c.send(new CreatePolicyCommand({ policyName, policyDocument: document })));
    return { policyArn: required(out.policyArn, 'policyArn', 'CreatePolicy') };
  }

  async getPolicy(policyName: string): Promise<{ policyArn: string; document: string; defaultVersionId: string }> {
    const out = await this.call('GetPolicy', (c) => c.send(new GetPolicyCommand({ policyName })));
    return {
      policyArn: required(out.policyArn, 'policyArn', 'GetPolicy'),
      document: required(out.policyDocument, 'policyDocument', 'GetPolicy'),
      defaultVersionId: required(out.defaultVersionId, 'defaultVersionId', 'GetPolicy'),
    };
  }

  async createPolicyVersion(policyName: string, document: string, setAsDefault: boolean): Promise<{ versionId: string }> {
    const out = await this.call('CreatePolicyVersion', (c) =>
      c.send(new CreatePolicyVersionCommand({ policyName, policyDocument: document, setAsDefault })),
    );
    return { versionId: required(out.policyVersionId, 'policyVersionId', 'CreatePolicyVersion') };
  }

  async listPolicyVersions(policyName: string): Promise<Array<{ versionId: string; isDefault: boolean }>> {
    const out = await this.call('ListPolicyVersions', (c) => c.send(new ListPolicyVersionsCommand({ policyName })));
    return (out.policyVersions ?? []).map((v) => ({
      versionId: required(v.versionId, 'versionId', 'ListPolicyVersions'),
      isDefault: v.isDefaultVersion === true,
    }));
  }

  async deletePolicyVersion(policyName: string, versionId: string): Promise<void> {
    await this.call('DeletePolicyVersion', (c) => c.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: versionId })));
  }

  async setDefaultPolicyVersion(policyName: string, versionId: string): Promise<void> {
    await this.call('SetDefaultPolicyVersion', (c) => c.send(new SetDefaultPolicyVersionCommand({ policyName, policyVersionId: versionId })));
  }

  async deletePolicy(policyName: string): Promise<void> {
    await this.call('DeletePolicy', (c) => c.send(new DeletePolicyCommand({ policyName })));
  }

  async attachPolicy(policyName: string, target: string): Promise<void> {
    await this.call('AttachPolicy', (c) => c.send(new AttachPolicyCommand({ policyName, target })));
  }

  async detachPolicy(policyName: string, target: string): Promise<void> {
    await this.call('DetachPolicy', (c) => c.send(new DetachPolicyCommand({ policyName, target })));
  }

  async listPolicyTargets(policyName: string, nextToken?: string): Promise<Page<string>> {
    const out = await this.call('ListTargetsForPolicy', (c) =>
      c.send(new ListTargetsForPolicyCommand({ policyName, marker: nextToken, pageSize: PAGE_SIZE })),
    );
    return { items: out.targets ?? [], nextToken: out.nextMarker };
  }

  async listAttachedPolicies(target: string, nextToken?: string): Promise<Page<string>> {
    const out = await this.call('ListAttachedPolicies', (c) =>
      c.send(new ListAttachedPoliciesCommand({ target, recursive: false, marker: nextToken })),
    );
    return { items: names(out.policies), nextToken: out.nextMarker };
  }

  async listPolicies(nextToken?: string): Promise<Page<string>> {
    const out = await this.call('ListPolicies', (c) => c.send(new ListPoliciesCommand({ marker: nextToken, pageSize: PAGE_SIZE })));
    return { items: names(out.policies), nextToken: out.nextMarker };
  }

  async createThing(thingName: string, attributes: Record<string, string>): Promise<ThingRef> {
    const out = await this.call('CreateThing', (c) => c.send(new CreateThingCommand({ thingName, attributePayload: { attributes } })));
    return { thingName: out.thingName ?? thingName, thingArn: required(out.thingArn, 'thingArn', 'CreateThing') };
  }

  async deleteThing(thingName: string): Promise<void> {
    await this.call('DeleteThing', (c) => c.send(new DeleteThingCommand({ thingName })));
  }

  async listThings(nextToken?: string): Promise<Page<string>> {
    const out = await this.call('ListThings', (c) => c.send(new ListThingsCommand({ nextToken, maxResults: PAGE_SIZE })));
    return { items: (out.things ?? []).flatMap((t) => (t.thingName ? [t.thingName] : [])), nextToken: out.nextToken };
  }

  async attachThingPrincipal(thingName: string, principalArn: string): Promise<void> {
    await this.call('AttachThingPrincipal', (c) => c.send(new AttachThingPrincipalCommand({ thingName, principal: principalArn })));
  }

  async detachThingPrincipal(thingName: string, principalArn: string): Promise<void> {
    await this.call('DetachThingPrincipal', (c) => c.send(new DetachThingPrincipalCommand({ thingName, principal: principalArn })));
  }

  async listThingPrincipals(thingName: string, nextToken?: string): Promise<Page<string>> {
    const out = await this.call('ListThingPrincipals', (c) => c.send(new ListThingPrincipalsCommand({ thingName, nextToken })));
    return { items: out.principals ?? [], nextToken: out.nextToken };
  }

  async createCertificateFromCsr(csrPem: string): Promise<IssuedCertificate> {
    const api = 'CreateCertificateFromCsr';
    const out = await this.call(api, (c) => c.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csrPem, setAsActive: true })));
    return {
      certificateId: required(out.certificateId, 'certificateId', api),
      certificateArn: required(out.certificateArn, 'certificateArn', api),
      certificatePem: required(out.certificatePem, 'certificatePem', api),
    };
  }

  async createKeysAndCertificate(): Promise<IssuedCertificate & { privateKey: string }> {
    const api = 'CreateKeysAndCertificate';
    const out = await this.call(api, (c) => c.send(new CreateKeysAndCertificateCommand({ setAsActive: true })));
    return {
      certificateId: required(out.certificateId, 'certificateId', api),
      certificateArn: required(out.certificateArn, 'certificateArn', api),
      certificatePem: required(out.certificatePem, 'certificatePem', api),
      privateKey: required(out.keyPair?.PrivateKey, 'keyPair.PrivateKey', api),
    };
  }

  async updateCertificateStatus(certificateId: string, status: 'ACTIVE' | 'INACTIVE' | 'REVOKED'): Promise<void> {
    await this.call('UpdateCertificate', (c) => c.send(new UpdateCertificateCommand({ certificateId, newStatus: status })));
  }

  async deleteCertificate(certificateId: string): Promise<void> {
    await this.call('DeleteCertificate', (c) => c.send(new DeleteCertificateCommand({ certificateId, forceDelete: false })));
  }

  async listCertificates(nextToken?: string): Promise<Page<CertificateSummary>> {
    const api = 'ListCertificates';
    const out = await this.call(api, (c) => c.send(new ListCertificatesCommand({ marker: nextToken, pageSize: PAGE_SIZE, ascendingOrder: false })));
    const items = (out.certificates ?? []).map((cert) => ({
      certificateId: required(cert.certificateId, 'certificateId', api),
      certificateArn: required(cert.certificateArn, 'certificateArn', api),
      status: required(cert.status, 'status', api) as CertificateStatus,
      createdAt: required(cert.creationDate, 'creationDate', api),
    }));
    return { items, nextToken: out.nextMarker };
  }

  async describeCertificate(certificateId: string): Promise<{ certificatePem: string; status: CertificateStatus }> {
    const api = 'DescribeCertificate';
    const out = await this.call(api, (c) => c.send(new DescribeCertificateCommand({ certificateId })));
    return {
      certificatePem: required(out.certificateDescription?.certificatePem, 'certificateDescription.certificatePem', api),
      status: required(out.certificateDescription?.status, 'certificateDescription.status', api) as CertificateStatus,
    };
  }

  private call<T>(api: string, send: (client: IoTClient) => Promise<T>): Promise<T> {
    return callAws(this.config, this.limiter, { service: 'iot', api }, () => send(this.client()));
  }

  private client(): IoTClient {
    this.sdk ??= withRetryRules(new IoTClient(awsClientOptions(this.config)));
    return this.sdk;
  }
}

function names(policies: Array<{ policyName?: string }> | undefined): string[] {
  return (policies ?? []).flatMap((p) => (p.policyName ? [p.policyName] : []));
}
