/**
 * Who is on a connection, and the per-packet decision for it. Everything is read again from the
 * authority on every check, so a revoked certificate, a detached policy or forgotten credentials
 * deny the very next packet (AWS caches policies for minutes; this is stricter on purpose).
 */
import { iotArn, type IotResourceKind } from '../../policy/arn.js';
import { evaluate, type EvaluationContext, type IotAction, type NamedPolicy } from '../../policy/evaluator.js';
import type { DataPlaneAuthority } from '../data-plane.js';

export type Principal =
  /** mTLS: the client certificate, by AWS's id (SHA-256 of its DER). */
  | { kind: 'certificate'; certificateId: string; certificateArn: string }
  /** SigV4: credentials the identity pool vended to a Cognito identity. */
  | { kind: 'identity'; identityId: string; accessKeyId: string }
  /** Custom authorizer: the documents it answered, fixed for the connection. */
  | { kind: 'authorizer'; authorizerName: string; principalId: string; policyDocuments: string[] };

export class PolicyGate {
  constructor(private readonly authority: DataPlaneAuthority) {}

  allows(principal: Principal, clientId: string, action: IotAction, kind: IotResourceKind, name: string): boolean {
    const resource = iotArn(this.authority, kind, name);
    try {
      switch (principal.kind) {
        case 'certificate':
          return this.certificateAllows(principal, clientId, action, resource);
        case 'identity':
          return this.identityAllows(principal, clientId, action, resource);
        case 'authorizer':
          return evaluate(named('authorizer', principal.policyDocuments), { action, resource, context: { clientId } }).allowed;
      }
    } catch {
      // A document the evaluator cannot read grants nothing.
      return false;
    }
  }

  private certificateAllows(principal: Extract<Principal, { kind: 'certificate' }>, clientId: string, action: IotAction, resource: string): boolean {
    const certificate = this.authority.certificate(principal.certificateId);
    if (certificate?.status !== 'ACTIVE') return false;
    // Thing variables resolve only when the client id is the name of a thing attached to this certificate.
    const thing = this.authority.thingsOf(principal.certificateArn).find((candidate) => candidate.thingName === clientId);
    const context: EvaluationContext = {
      clientId,
      thingIsAttached: thing !== undefined,
      ...(thing ? { thingName: thing.thingName, thingAttributes: thing.attributes } : {}),
    };
    const documents = this.authority.policyDocuments(principal.certificateArn);
    return evaluate(named('certificate', documents), { action, resource, context }).allowed;
  }

  /** Both the identity's IoT policies and the role's IAM policy must allow; a Deny in either wins. */
  private identityAllows(principal: Extract<Principal, { kind: 'identity' }>, clientId: string, action: IotAction, resource: string): boolean {
    const credentials = this.authority.credentials(principal.accessKeyId);
    if (credentials?.identityId !== principal.identityId) return false;
    const context: EvaluationContext = { clientId, cognitoIdentityId: principal.identityId };
    const iot = evaluate(named('identity', this.authority.policyDocuments(principal.identityId)), { action, resource, context });
    if (!iot.allowed) return false;
    const role = evaluate([{ policyName: 'authenticated-role', document: this.authority.rolePolicyDocument() }], { action, resource, context });
    return role.allowed;
  }
}

function named(label: string, documents: string[]): NamedPolicy[] {
  return documents.map((document, index) => ({ policyName: `${label}-policy-${index + 1}`, document }));
}
