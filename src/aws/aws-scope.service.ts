import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { missingAwsSettings, type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { PolicyScope } from '../policy/documents.js';
import { UserPoolPort } from './user-pool.port.js';

/**
 * Region and account for the ARNs in policy documents. The account comes from AWS_ACCOUNT_ID, or
 * else from the user pool's ARN, read once per process (DescribeUserPool) so operators need not set it.
 */
@Injectable()
export class AwsScope {
  private scope?: Promise<PolicyScope>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly userPool: UserPoolPort,
  ) {}

  policyScope(): Promise<PolicyScope> {
    this.scope ??= this.resolve().catch((error: unknown) => {
      this.scope = undefined;
      throw error;
    });
    return this.scope;
  }

  private async resolve(): Promise<PolicyScope> {
    const missing = missingAwsSettings(this.config);
    if (missing.length > 0) {
      throw new DomainError('AWS_NOT_CONFIGURED', `AWS is not configured: set ${missing.join(', ')}`, { missing });
    }
    const region = this.config.aws.region!;
    if (this.config.aws.accountId) return { region, accountId: this.config.aws.accountId };
    const accountId = (await this.userPool.userPoolArn()).split(':')[4];
    if (!accountId || !/^\d{12}$/.test(accountId)) {
      throw new DomainError('AWS_UNAVAILABLE', 'Could not read the account id from the user pool ARN; set AWS_ACCOUNT_ID');
    }
    return { region, accountId };
  }
}
