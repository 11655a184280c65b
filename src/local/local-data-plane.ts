import { Inject, Injectable } from '@nestjs/common';
import type { CertificateStatus } from '../aws/iot.port.js';
import type { AuthorizerResponse } from '../authorizer/authorizer.core.js';
import { AuthorizerService } from '../authorizer/authorizer.service.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { authenticatedRolePolicy } from '../policy/iam.js';
import { DataPlaneAuthority, type CustomAuthorizerRequest, type DataPlaneCredentials, type DataPlaneThing } from './data-plane.js';
import { LocalSandbox } from './local-sandbox.js';

/** The custom authorizer's name in local mode: the service's own authorizer core. */
export function localAuthorizerName(config: Pick<AppConfig, 'resourcePrefix'>): string {
  return `${config.resourcePrefix}-authorizer`;
}

/** What the local MQTT broker asks of the sandbox: certificates, attached policies, things, vended credentials, the authorizer. */
@Injectable()
export class LocalDataPlane extends DataPlaneAuthority {
  readonly region: string;
  readonly accountId: string;

  constructor(
    private readonly sandbox: LocalSandbox,
    private readonly authorizer: AuthorizerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
    this.region = config.aws.region!;
    this.accountId = config.aws.accountId!;
  }

  certificate(certificateId: string): { certificateArn: string; status: CertificateStatus } | undefined {
    const found = this.sandbox.iot.state.certificates.get(certificateId);
    return found && { certificateArn: found.certificateArn, status: found.status };
  }

  policyDocuments(target: string): string[] {
    const { policies, policyTargets } = this.sandbox.iot.state;
    return [...policyTargets]
      .filter(([, targets]) => targets.has(target))
      .flatMap(
        ([policyName]) =>
          policies
            .get(policyName)
            ?.versions.filter((version) => version.isDefault)
            .map((version) => version.document) ?? [],
      );
  }

  thingsOf(principalArn: string): DataPlaneThing[] {
    const { things, thingPrincipals } = this.sandbox.iot.state;
    return [...thingPrincipals]
      .filter(([, principals]) => principals.has(principalArn))
      .flatMap(([thingName]) => {
        const thing = things.get(thingName);
        return thing ? [{ thingName, attributes: { ...thing.attributes } }] : [];
      });
  }

  credentials(accessKeyId: string): DataPlaneCredentials | undefined {
    const found = this.sandbox.identityPool.credentials(accessKeyId);
    return (
      found && {
        secretAccessKey: found.secretAccessKey,
        sessionToken: found.sessionToken,
        identityId: found.identityId,
        expiration: found.expiration,
      }
    );
  }

  rolePolicyDocument(): string {
    return JSON.stringify(authenticatedRolePolicy({ region: this.region, accountId: this.accountId }));
  }

  async authorize(authorizerName: string, request: CustomAuthorizerRequest): Promise<AuthorizerResponse | undefined> {
    if (authorizerName !== localAuthorizerName(this.config)) return undefined;
    return this.authorizer.authorize(request);
  }
}
