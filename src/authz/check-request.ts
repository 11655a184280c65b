/**
 * Turns a dry-run question ("may alice publish to alice/x?") into exactly what AWS would evaluate:
 * the principal's generated policy documents, the resource ARN and the policy-variable values of a
 * connection. Pure: the service supplies the records and the AWS scope.
 */
import { DomainError } from '../common/errors/domain-error.js';
import {
  devicePolicyDocument,
  iotArn,
  siteDevicePolicyDocument,
  type IotResourceKind,
  type PolicyDocument,
  type PolicyScope,
} from '../policy/documents.js';
import { IOT_ARN_PATTERN } from '../policy/arn.js';
import type { CompiledPolicy } from '../policy/entitlements.js';
import type { EvaluationContext, EvaluationRequest, IotAction, NamedPolicy } from '../policy/evaluator.js';
import { deviceClientId } from '../policy/names.js';
import type { DevicePrincipal, UserPrincipal } from './principals.repository.js';

export const CHECK_ACTIONS = ['connect', 'publish', 'receive', 'subscribe'] as const;
export type CheckAction = (typeof CHECK_ACTIONS)[number];

export const PRINCIPAL_TYPES = ['user', 'device'] as const;

export const POLICY_SOURCES = ['expected', 'aws'] as const;
export type PolicySource = (typeof POLICY_SOURCES)[number];
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

const IOT_ACTIONS: Record<CheckAction, IotAction> = {
  connect: 'iot:Connect',
  publish: 'iot:Publish',
  receive: 'iot:Receive',
  subscribe: 'iot:Subscribe',
};

/** The resource kind each action is checked against: a client id, a topic, or a topic filter. */
const RESOURCE_KINDS: Record<CheckAction, IotResourceKind> = {
  connect: 'client',
  publish: 'topic',
  receive: 'topic',
  subscribe: 'topicfilter',
};

/** Whose policies to evaluate, and the connection facts AWS would know about that principal. */
export interface CheckSubject {
  /** The principal's own policy: slot 1 of a user's (`<prefix>_<user>`), or the device's. */
  policyName: string;
  policies: NamedPolicy[];
  /** The client id the principal normally connects with (username, or thing name). */
  ownClientId: string;
  context: Pick<EvaluationContext, 'cognitoIdentityId'>;
  /** The thing attached to the principal (a device's certificates are attached to its thing); none for users. */
  thing?: { thingName: string; attributes: Record<string, string> };
  /** A certificate connection, for which AWS knows whether a thing is attached (`iot:Connection.Thing.IsAttached`). */
  certificate: boolean;
}

export interface CheckQuestion {
  action: CheckAction;
  resource: string;
  clientId?: string;
}

/**
 * `compiled` is what the entitlement compiler makes of the user's own grant and sites: the same
 * documents sessions attach to the identity and the custom authorizer returns, so what we check is
 * what we attach. Slot 1 is always there.
 */
export function userSubject(user: UserPrincipal, compiled: CompiledPolicy[]): CheckSubject {
  return {
    policyName: compiled[0]?.policyName ?? user.policyName,
    policies: compiled.map((policy) => ({ policyName: policy.policyName, document: policy.document })),
    ownClientId: user.username,
    context: user.identityId ? { cognitoIdentityId: user.identityId } : {},
    certificate: false,
  };
}

export function deviceSubject(scope: PolicyScope, prefix: string, device: DevicePrincipal): CheckSubject {
  return {
    policyName: device.policyName,
    policies: [{ policyName: device.policyName, document: deviceDocument(scope, prefix, device) }],
    ownClientId: deviceClientId(device.thingName),
    context: {},
    ...(device.certificateAttached ? { thing: { thingName: device.thingName, attributes: device.attributes } } : {}),
    certificate: true,
  };
}

/** The document registration attached: a user's device's or a site's device's. */
function deviceDocument(scope: PolicyScope, prefix: string, device: DevicePrincipal): PolicyDocument {
  const { owner } = device;
  return owner.kind === 'user'
    ? devicePolicyDocument(scope, prefix, owner.username, device.name)
    : siteDevicePolicyDocument(scope, prefix, owner.site, device.name);
}

/**
 * For connect the resource is the client id, so `clientId` defaults to it; for the other actions
 * it defaults to the principal's own client id, which is what `${iot:ClientId}` would hold.
 *
 * Thing policy variables (`${iot:Connection.Thing.*}`) get values only when the client id is the
 * name of a thing attached to the principal, as AWS resolves them ("Thing policy variables", IoT
 * developer guide: the client id "must exactly match the thing name", and the thing is the one
 * AttachThingPrincipal attached to the certificate or identity). Otherwise they stay unresolved and
 * the statement that uses them matches nothing.
 */
export function evaluationRequest(scope: PolicyScope, subject: CheckSubject, question: CheckQuestion): EvaluationRequest {
  const { arn, name } = resourceArn(scope, question.action, question.resource);
  const clientId = question.clientId ?? (question.action === 'connect' ? name : subject.ownClientId);
  const attached = subject.thing !== undefined && subject.thing.thingName === clientId;
  const thing = attached ? { thingName: subject.thing!.thingName, thingAttributes: subject.thing!.attributes } : {};
  const isAttached = subject.certificate ? { thingIsAttached: attached } : {};
  return { action: IOT_ACTIONS[question.action], resource: arn, context: { ...subject.context, ...thing, ...isAttached, clientId } };
}

const ARN_PARTS = /^arn:[^:]+:iot:[^:]+:\d{12}:([a-z]+)\/(.+)$/s;

/**
 * A bare name becomes an ARN in the service's own region and account. A full ARN is taken as
 * given (another account's ARN simply matches nothing), but must be of the kind the action acts
 * on: a topic ARN for subscribe would be an implicit deny that hides the caller's mistake.
 */
export function resourceArn(scope: PolicyScope, action: CheckAction, resource: string): { arn: string; name: string } {
  const kind = RESOURCE_KINDS[action];
  if (!resource.startsWith('arn:')) return { arn: iotArn(scope, kind, resource), name: resource };
  const parts = IOT_ARN_PATTERN.test(resource) ? ARN_PARTS.exec(resource) : null;
  if (!parts) {
    throw DomainError.validation('resource is not an IoT client, topic or topicfilter ARN', { field: 'resource' });
  }
  if (parts[1] !== kind) {
    throw DomainError.validation(`resource for ${action} must be a ${kind} ARN, got a ${parts[1]} ARN`, {
      field: 'resource',
      expectedKind: kind,
    });
  }
  return { arn: resource, name: parts[2] as string };
}
