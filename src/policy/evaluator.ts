/**
 * Evaluates AWS IoT Core policies the way AWS documents it, so tests and diagnostics can ask
 * "would AWS let this principal do that?" without AWS:
 * - Action: string or list, case-insensitive, `*` and `?` wildcards.
 * - Resource: string or list of ARNs, case-sensitive; `*` matches any sequence (`/` too), `?`
 *   one character; `+` and `#` are literal.
 * - Policy variables are substituted into Resource before matching. Their values, and the
 *   escapes `${*}` `${?}` `${$}`, are literal text, never wildcards. A variable without a
 *   value makes that Resource entry match nothing (AWS: "won't be resolved ... access denied").
 * - An explicit Deny in any policy beats every Allow; no matching Allow is an implicit deny.
 * - One Condition is modelled, the one AWS documents for thing attachment:
 *   `{"Bool": {"iot:Connection.Thing.IsAttached": "true" | "false"}}`; it holds only when the
 *   context says whether a thing is attached (a certificate connection), as IAM treats a Bool
 *   on a missing key as not matching.
 * Other Conditions, NotAction and NotResource are not modelled: documents using them are
 * rejected rather than evaluated wrongly.
 */
import type { PolicyDocument, PolicyStatement } from './documents.js';
import { PolicyDocumentError } from './policy-document-error.js';
import { compileAction, compileResource, type VariableLookup } from './patterns.js';

export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Receive' | 'iot:Subscribe' | 'iot:RetainPublish';

export interface EvaluationContext {
  clientId?: string;
  thingName?: string;
  thingAttributes?: Record<string, string>;
  cognitoIdentityId?: string;
  /** Whether the client id names a thing attached to the connecting certificate; unset for other principals. */
  thingIsAttached?: boolean;
}

export interface NamedPolicy {
  policyName: string;
  /** The document, or its JSON text as stored in AWS. */
  document: PolicyDocument | string;
}

export type Decision = 'ALLOW' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';

export interface EvaluationResult {
  allowed: boolean;
  decision: Decision;
  /** The policy and 0-based statement index that decided; absent for an implicit deny. */
  policyName?: string;
  statementIndex?: number;
  explanation: string;
}

export interface EvaluationRequest {
  action: IotAction;
  /** The full ARN, e.g. built with `iotArn(scope, 'topic', 'alice/x')`. */
  resource: string;
  context: EvaluationContext;
}

export function evaluate(policies: NamedPolicy[], request: EvaluationRequest): EvaluationResult {
  const { action, resource, context } = request;
  const what = `${action} on ${resource}`;
  const lookup = (name: string) => variableValue(name, context);
  let allow: { policyName: string; statementIndex: number } | undefined;
  for (const { policyName, document } of policies) {
    for (const [statementIndex, statement] of statementsOf(policyName, document).entries()) {
      if (!matchesAction(statement.Action, action)) continue;
      if (!matchesResource(statement.Resource, resource, lookup)) continue;
      if (!conditionHolds(statement, context)) continue;
      if (statement.Effect === 'Deny') {
        const explanation = `Denied explicitly by Statement[${statementIndex}] of policy ${policyName}: ${what}.`;
        return { allowed: false, decision: 'EXPLICIT_DENY', policyName, statementIndex, explanation };
      }
      allow ??= { policyName, statementIndex };
    }
  }
  if (allow) {
    const explanation = `Allowed by Statement[${allow.statementIndex}] of policy ${allow.policyName}: ${what}.`;
    return { allowed: true, decision: 'ALLOW', ...allow, explanation };
  }
  const names = policies.map((policy) => policy.policyName).join(', ');
  const explanation = names ? `Denied: no statement in ${names} allows ${what}.` : `Denied: no policy is attached, so nothing allows ${what}.`;
  return { allowed: false, decision: 'IMPLICIT_DENY', explanation };
}

function matchesAction(actions: string | string[], action: IotAction): boolean {
  return listOf(actions).some((pattern) => compileAction(pattern).test(action));
}

function matchesResource(resources: string | string[], resource: string, lookup: VariableLookup): boolean {
  return listOf(resources).some((pattern) => compileResource(pattern).matches(resource, lookup));
}

const ATTRIBUTE = /^iot:Connection\.Thing\.Attributes\[(.+)\]$/;
const IS_ATTACHED = 'iot:Connection.Thing.IsAttached';

/** The statement's Condition (already checked to be the IsAttached Bool) holds in this context. */
function conditionHolds(statement: PolicyStatement, context: EvaluationContext): boolean {
  const condition = (statement as { Condition?: Record<string, Record<string, string | string[]>> }).Condition;
  if (condition === undefined) return true;
  if (context.thingIsAttached === undefined) return false;
  const wanted = listOf(condition.Bool![IS_ATTACHED]!);
  return wanted.includes(String(context.thingIsAttached));
}

/** A variable's value in this request; empty counts as unset, as it could only widen a grant. */
function variableValue(name: string, context: EvaluationContext): string | undefined {
  const value = rawValue(name, context);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function rawValue(name: string, context: EvaluationContext): unknown {
  switch (name) {
    case 'iot:ClientId':
      return context.clientId;
    case 'iot:Connection.Thing.ThingName':
      return context.thingName;
    case 'cognito-identity.amazonaws.com:sub':
      return context.cognitoIdentityId;
    case IS_ATTACHED:
      return context.thingIsAttached === undefined ? undefined : String(context.thingIsAttached);
  }
  const attribute = ATTRIBUTE.exec(name)?.[1];
  const attributes = context.thingAttributes;
  // hasOwn: an attribute named "constructor" must not resolve to Object.prototype's.
  if (attribute === undefined || !attributes || !Object.hasOwn(attributes, attribute)) return undefined;
  return attributes[attribute];
}

function statementsOf(policyName: string, document: PolicyDocument | string): PolicyStatement[] {
  let doc: unknown = document;
  if (typeof document === 'string') {
    try {
      doc = JSON.parse(document);
    } catch {
      throw new PolicyDocumentError(`Policy ${policyName} is not valid JSON`);
    }
  }
  const statement = (doc as { Statement?: unknown } | null)?.Statement;
  if (statement === undefined) throw new PolicyDocumentError(`Policy ${policyName} has no Statement`);
  // IAM grammar allows a single statement object in place of the list.
  const statements: unknown[] = Array.isArray(statement) ? statement : [statement];
  statements.forEach((item, index) => checkStatement(policyName, item, index));
  return statements as PolicyStatement[];
}

const UNSUPPORTED = ['NotAction', 'NotResource', 'NotPrincipal', 'Principal'];

function checkStatement(policyName: string, item: unknown, index: number): void {
  const where = `Statement[${index}] of policy ${policyName}`;
  const statement = item as Record<string, unknown> | null;
  if (typeof statement !== 'object' || statement === null) {
    throw new PolicyDocumentError(`${where} is not an object`);
  }
  const unsupported = UNSUPPORTED.find((key) => key in statement);
  if (unsupported) {
    throw new PolicyDocumentError(`${where} uses ${unsupported}, which this evaluator does not model`);
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new PolicyDocumentError(`${where} has Effect ${JSON.stringify(statement.Effect)}`);
  }
  if ('Condition' in statement && !isAttachedCondition(statement.Condition)) {
    throw new PolicyDocumentError(`${where} uses a Condition other than Bool ${IS_ATTACHED}, which this evaluator does not model`);
  }
  for (const key of ['Action', 'Resource']) {
    if (!isStrings(statement[key])) throw new PolicyDocumentError(`${where} has no ${key} string or list`);
  }
}

function isAttachedCondition(condition: unknown): boolean {
  if (typeof condition !== 'object' || condition === null) return false;
  const operators = Object.entries(condition);
  if (operators.length !== 1 || operators[0]![0] !== 'Bool') return false;
  const keys = Object.entries(operators[0]![1] as object);
  if (keys.length !== 1 || keys[0]![0] !== IS_ATTACHED || !isStrings(keys[0]![1])) return false;
  return listOf(keys[0]![1] as string | string[]).every((value) => value === 'true' || value === 'false');
}

function isStrings(value: unknown): boolean {
  if (typeof value === 'string') return true;
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function listOf(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : value;
}
