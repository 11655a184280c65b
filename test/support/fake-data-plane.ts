/** An in-memory DataPlaneAuthority for broker tests: the test writes the state, the broker reads it. */
import type { CertificateStatus } from '../../src/aws/iot.port.js';
import type { AuthorizerResponse } from '../../src/authorizer/authorizer.core.js';
import { authenticatedRolePolicy } from '../../src/policy/iam.js';
import { DataPlaneAuthority, type CustomAuthorizerRequest, type DataPlaneCredentials, type DataPlaneThing } from '../../src/local/data-plane.js';

export type FakeAuthorizer = (request: CustomAuthorizerRequest) => Promise<unknown>;

export class FakeDataPlane extends DataPlaneAuthority {
  readonly region = 'eu-west-1';
  readonly accountId = '123456789012';
  readonly certificates = new Map<string, { certificateArn: string; status: CertificateStatus }>();
  readonly policies = new Map<string, string[]>();
  readonly things = new Map<string, DataPlaneThing[]>();
  readonly vended = new Map<string, DataPlaneCredentials>();
  readonly authorizers = new Map<string, FakeAuthorizer>();
  readonly authorizerRequests: CustomAuthorizerRequest[] = [];
  rolePolicy = JSON.stringify(authenticatedRolePolicy({ region: this.region, accountId: this.accountId }));

  certificate(certificateId: string) {
    return this.certificates.get(certificateId);
  }
  policyDocuments(target: string): string[] {
    return this.policies.get(target) ?? [];
  }
  thingsOf(principalArn: string): DataPlaneThing[] {
    return this.things.get(principalArn) ?? [];
  }
  credentials(accessKeyId: string): DataPlaneCredentials | undefined {
    return this.vended.get(accessKeyId);
  }
  rolePolicyDocument(): string {
    return this.rolePolicy;
  }
  async authorize(authorizerName: string, request: CustomAuthorizerRequest): Promise<AuthorizerResponse | undefined> {
    const authorizer = this.authorizers.get(authorizerName);
    if (!authorizer) return undefined;
    this.authorizerRequests.push(request);
    return (await authorizer(request)) as AuthorizerResponse;
  }

  /** Registers a certificate as ACTIVE and returns its ARN. */
  addCertificate(certificateId: string, status: CertificateStatus = 'ACTIVE'): string {
    const certificateArn = `arn:aws:iot:${this.region}:${this.accountId}:cert/${certificateId}`;
    this.certificates.set(certificateId, { certificateArn, status });
    return certificateArn;
  }

  arn(kind: 'client' | 'topic' | 'topicfilter', name: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${kind}/${name}`;
  }
}

/** A policy document allowing (or denying) actions on resources. */
export function policy(...statements: Array<{ effect?: 'Allow' | 'Deny'; action: string | string[]; resource: string | string[] }>): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map(({ effect, action, resource }) => ({ Effect: effect ?? 'Allow', Action: action, Resource: resource })),
  });
}
