/**
 * The two IoT policy documents the service attaches: one per app user (Cognito identity) and
 * one per device (X.509 certificate). Each grants exactly the principal's own client id(s)
 * and its own topic subtree, nothing else; see names.ts for why that is isolating.
 */
import { IOT_ARN_PATTERN, iotArn, type PolicyScope } from './arn.js';
import {
  assertSafeName,
  deviceTopicPrefix,
  siteDeviceCommandsPrefix,
  siteDeviceTopicPrefix,
  siteThingName,
  thingName,
  userClientIds,
  userTopicPrefix,
} from './names.js';
import { PolicyDocumentError } from './policy-document-error.js';

export { iotArn, type IotResourceKind, type PolicyScope } from './arn.js';
export { PolicyDocumentError } from './policy-document-error.js';

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** AWS's limit on an IoT policy document, counted without whitespace. */
export const MAX_POLICY_CHARS = 2048;

const ACTION_PATTERN = /^iot:(?:\*|[A-Za-z]+)$/;

/**
 * Connect as `alice` or `alice.<anything>`; publish and receive on `alice/...`; subscribe to
 * filters under `alice/`. Topics of alice's devices (`alice/<device>/...`) are inside that
 * subtree on purpose: the owner's app talks to its devices.
 */
export function userPolicyDocument(scope: PolicyScope, username: string): PolicyDocument {
  const topics = `${userTopicPrefix(username)}*`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: userClientIds(username).map((id) => iotArn(scope, 'client', id)),
      },
      ...topicStatements(scope, topics),
    ],
  };
}

/** Connect only as its thing name; publish, receive and subscribe only under `<user>/<device>/`. */
export function devicePolicyDocument(scope: PolicyScope, prefix: string, username: string, device: string): PolicyDocument {
  assertSafeName('username', username);
  assertSafeName('device name', device);
  const topics = `${deviceTopicPrefix(username, device)}*`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: iotArn(scope, 'client', thingName(prefix, username, device)),
      },
      ...topicStatements(scope, topics),
    ],
  };
}

/**
 * A site device connects as its thing name, publishes under `_sites/<site>/<device>/`, and hears
 * only its own commands (`_sites/<site>/_cmd/<device>/`); what other devices publish never reaches it.
 */
export function siteDevicePolicyDocument(scope: PolicyScope, prefix: string, site: string, device: string): PolicyDocument {
  const commands = `${siteDeviceCommandsPrefix(site, device)}*`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: iotArn(scope, 'client', siteThingName(prefix, site, device)) },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: iotArn(scope, 'topic', `${siteDeviceTopicPrefix(site, device)}*`) },
      { Effect: 'Allow', Action: 'iot:Receive', Resource: iotArn(scope, 'topic', commands) },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: iotArn(scope, 'topicfilter', commands) },
    ],
  };
}

/** Characters AWS counts against MAX_POLICY_CHARS: the JSON text without whitespace. */
export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).replace(/\s/g, '').length;
}

/** Publish and receive on topics matching `topics`; subscribe to filters matching it. */
function topicStatements(scope: PolicyScope, topics: string): PolicyStatement[] {
  return [
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: iotArn(scope, 'topic', topics) },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: iotArn(scope, 'topicfilter', topics) },
  ];
}

/** The JSON text to send to CreatePolicy / CreatePolicyVersion, after validation. */
export function renderPolicy(doc: PolicyDocument): string {
  validatePolicyDocument(doc);
  return JSON.stringify(doc);
}

/** Throws PolicyDocumentError unless `doc` is a well-formed IoT policy AWS would accept. */
export function validatePolicyDocument(doc: PolicyDocument): void {
  if (doc.Version !== '2012-10-17') fail(`Version must be "2012-10-17", got ${JSON.stringify(doc.Version)}`);
  if (!Array.isArray(doc.Statement) || doc.Statement.length === 0) {
    fail('Statement must be a non-empty array');
  }
  doc.Statement.forEach((statement, index) => validateStatement(statement, index));
  const size = policySize(doc);
  if (size > MAX_POLICY_CHARS) {
    fail(`document is ${size} characters without whitespace; AWS allows at most ${MAX_POLICY_CHARS}`);
  }
}

function validateStatement(statement: PolicyStatement, index: number): void {
  const where = `Statement[${index}]`;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    fail(`${where}.Effect must be "Allow" or "Deny", got ${JSON.stringify(statement.Effect)}`);
  }
  for (const action of listOf(statement.Action, `${where}.Action`)) {
    if (!ACTION_PATTERN.test(action)) {
      fail(`${where}.Action ${JSON.stringify(action)} is not iot:<Name> or iot:*`);
    }
  }
  for (const resource of listOf(statement.Resource, `${where}.Resource`)) {
    if (!IOT_ARN_PATTERN.test(resource)) {
      fail(`${where}.Resource ${JSON.stringify(resource)} is not an IoT client, topic or topicfilter ARN`);
    }
  }
}

function listOf(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((item): item is string => typeof item === 'string')) {
    fail(`${where} must be a string or a non-empty array of strings`);
  }
  return list as string[];
}

function fail(message: string): never {
  throw new PolicyDocumentError(`Invalid IoT policy document: ${message}`);
}
