import { Inject, Injectable } from '@nestjs/common';
import { AwsScope } from '../aws/aws-scope.service.js';
import { IotPort } from '../aws/iot.port.js';
import { allPages } from '../aws/pages.js';
import { ignoreNotFound } from '../common/errors/ignore-not-found.js';
import type { NamedPolicy } from '../policy/evaluator.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Entitlements } from '../entitlements/entitlements.js';
import { evaluate } from '../policy/evaluator.js';
import { deviceSubject, evaluationRequest, userSubject, type CheckSubject } from './check-request.js';
import type { AuthzCheckDto, AuthzCheckResponseDto, PrincipalRefDto } from './dto/authz-check.dto.js';
import { PrincipalsRepository, type DevicePrincipal, type UserPrincipal } from './principals.repository.js';

type Found = { type: 'user'; user: UserPrincipal } | { type: 'device'; device: DevicePrincipal };

/** The admin dry run: would AWS IoT let this principal do that, under the policy we attach to it? */
@Injectable()
export class AuthzService {
  constructor(
    private readonly principals: PrincipalsRepository,
    private readonly awsScope: AwsScope,
    private readonly iot: IotPort,
    private readonly entitlements: Entitlements,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check(input: AuthzCheckDto): Promise<AuthzCheckResponseDto> {
    // Look the principal up first, so an unknown name is a 404 whatever the state of AWS settings.
    const found = await this.find(input.principal);
    const scope = await this.awsScope.policyScope();
    const subject =
      found.type === 'user'
        ? userSubject(found.user, await this.entitlements.compile(found.user.username))
        : deviceSubject(scope, this.config.resourcePrefix, found.device);
    const source = input.source ?? 'expected';
    const policies = source === 'aws' ? await this.heldByAws(found, subject) : subject.policies;
    const result = evaluate(policies, evaluationRequest(scope, subject, input));
    return {
      source,
      evaluatedPolicies: policies.map((policy) => policy.policyName),
      allowed: result.allowed,
      decision: result.decision,
      policyName: subject.policyName,
      ...(result.statementIndex === undefined ? {} : { statementIndex: result.statementIndex, decidingPolicy: result.policyName! }),
      explanation: result.explanation,
    };
  }

  /**
   * The default version of each policy AWS has attached to the user's identity (every policy, not
   * only ours: AWS evaluates them all), or of the device's policy, which registration attaches to
   * each of its certificates. A user who never signed in has no identity, so nothing attached.
   */
  private async heldByAws(found: Found, subject: CheckSubject): Promise<NamedPolicy[]> {
    let names: string[];
    if (found.type === 'user') {
      names = found.user.identityId ? await allPages((token) => this.iot.listAttachedPolicies(found.user.identityId!, token)) : [];
    } else {
      names = [subject.policyName];
    }
    const held = await Promise.all(
      names.map(async (policyName) => {
        const policy = await ignoreNotFound(this.iot.getPolicy(policyName));
        return policy ? [{ policyName, document: policy.document }] : [];
      }),
    );
    return held.flat();
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
