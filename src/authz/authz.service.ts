import { Inject, Injectable } from '@nestjs/common';
import { AwsScope } from '../aws/aws-scope.service.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { evaluate } from '../policy/evaluator.js';
import { deviceSubject, evaluationRequest, userSubject } from './check-request.js';
import type { AuthzCheckDto, AuthzCheckResponseDto, PrincipalRefDto } from './dto/authz-check.dto.js';
import { PrincipalsRepository, type DevicePrincipal, type UserPrincipal } from './principals.repository.js';

type Found = { type: 'user'; user: UserPrincipal } | { type: 'device'; device: DevicePrincipal };

/** The admin dry run: would AWS IoT let this principal do that, under the policy we attach to it? */
@Injectable()
export class AuthzService {
  constructor(
    private readonly principals: PrincipalsRepository,
    private readonly awsScope: AwsScope,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check(input: AuthzCheckDto): Promise<AuthzCheckResponseDto> {
    // Look the principal up first, so an unknown name is a 404 whatever the state of AWS settings.
    const found = await this.find(input.principal);
    const scope = await this.awsScope.policyScope();
    const subject =
      found.type === 'user' ? userSubject(scope, found.user) : deviceSubject(scope, this.config.resourcePrefix, found.device);
    const result = evaluate(subject.policies, evaluationRequest(scope, subject, input));
    return {
      allowed: result.allowed,
      decision: result.decision,
      policyName: subject.policyName,
      ...(result.statementIndex === undefined ? {} : { statementIndex: result.statementIndex }),
      explanation: result.explanation,
    };
  }

  private async find(principal: PrincipalRefDto): Promise<Found> {
    if (principal.type === 'user') {
      const user = await this.principals.findUser(principal.name);
      if (!user) throw DomainError.notFound('User', { username: principal.name });
      return { type: 'user', user };
    }
    const device = await this.principals.findDevice(principal.name);
    if (!device) throw DomainError.notFound('Device', { thingName: principal.name });
    return { type: 'device', device };
  }
}
