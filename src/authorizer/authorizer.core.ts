/**
 * The AWS IoT custom authorizer, as one pure function over small dependencies, so the Nest route
 * and the Lambda entry make the same decision. Shapes follow AWS's "Defining your Lambda
 * function" (custom-auth-lambda) page:
 * - request: `token`, `signatureVerified`, `protocols`, `protocolData` (`tls.serverName`,
 *   `http.headers` / `queryString`, `mqtt.username` / `password` (base64) / `clientId`),
 *   `connectionMetadata.id`. AWS includes only the fields relevant to the connection.
 * - response: `isAuthenticated`, `principalId` (`[a-zA-Z0-9]{1,128}`), `policyDocuments` ("a list
 *   of JSON-formatted AWS IoT Core policy documents", at most 10, each at most 2,048 characters;
 *   the page's example response and its sample Node.js function return them as JSON objects),
 *   `disconnectAfterInSeconds` and `refreshAfterInSeconds` (each 300..86,400). AWS ignores the
 *   other fields when isAuthenticated is false. Only TestInvokeAuthorizer's output carries the
 *   documents as strings (its model types policyDocuments as a list of PolicyDocument strings):
 *   that is AWS echoing what it parsed, not the shape a function returns.
 * Any failure, expected or not, is a denial: an authorizer that throws would still refuse the
 * client, but as an authorizer error in AWS's logs rather than as an authentication failure.
 */
import { createHash } from 'node:crypto';
import { validatePolicyDocument, type PolicyDocument } from '../policy/documents.js';

export const MIN_CONNECTION_SECONDS = 300;
export const MAX_CONNECTION_SECONDS = 86_400;
/**
 * AWS re-invokes the authorizer this often on a live connection; the minimum, so that disabling a
 * user takes effect on open MQTT connections within about five minutes.
 */
export const REFRESH_AFTER_SECONDS = 300;
export const MAX_POLICY_DOCUMENTS = 10;
/**
 * The token key name to register with CreateAuthorizer. AWS passes the value as `token`; the core
 * also reads it from the HTTP header or query string, in case AWS leaves `token` out.
 */
export const TOKEN_KEY_NAME = 'iot-token';
/** Cognito tokens are 1-2 KB; anything far larger is not one, and is not worth verifying. */
const MAX_TOKEN_CHARS = 8192;

/** What the core needs to know about a verified token. */
export interface TokenIdentity {
  username: string;
  sub: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export interface AuthorizerDeps {
  /** Verifies a Cognito ID or access token; rejects when it is invalid, expired or from another pool. */
  verifyToken(token: string): Promise<TokenIdentity>;
  /**
   * True only for a user this service provisioned, with this Cognito sub, and has not disabled.
   * The sub check keeps a deleted user's unexpired token away from a new user given the same name.
   */
  isUserActive(username: string, sub: string): Promise<boolean>;
  /** The policy documents the service grants the user. */
  policyFor(username: string): Promise<PolicyDocument[]>;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  log?: (entry: AuthorizerLogEntry) => void;
}

/** One line per decision. Never carries the token. */
export interface AuthorizerLogEntry {
  outcome: 'allowed' | 'denied';
  reason: string;
  connectionId?: string;
  principalId?: string;
  /** Why a dependency failed (token rejection, database or JWKS failure, malformed policy). */
  error?: unknown;
}

export interface AuthorizerAllow {
  isAuthenticated: true;
  principalId: string;
  disconnectAfterInSeconds: number;
  refreshAfterInSeconds: number;
  /** Policy documents as JSON objects, as in AWS's example response ("Defining your Lambda function"). */
  policyDocuments: PolicyDocument[];
}

export interface AuthorizerDeny {
  isAuthenticated: false;
}

export type AuthorizerResponse = AuthorizerAllow | AuthorizerDeny;

export async function authorize(request: unknown, deps: AuthorizerDeps): Promise<AuthorizerResponse> {
  const connectionId = stringAt(request, 'connectionMetadata', 'id');
  const deny = (reason: string, error?: unknown): AuthorizerDeny => {
    deps.log?.({ outcome: 'denied', reason, connectionId, ...(error === undefined ? {} : { error }) });
    return { isAuthenticated: false };
  };
  try {
    const token = tokenOf(request);
    if (!token) return deny('no token in the request');
    let identity: TokenIdentity;
    try {
      identity = await deps.verifyToken(token);
    } catch (error) {
      return deny('token rejected', error);
    }
    if (!(await deps.isUserActive(identity.username, identity.sub))) return deny('user not provisioned here for this Cognito user, or disabled');
    const documents = await deps.policyFor(identity.username);
    // AWS would refuse a malformed or oversized document as an authorizer error: deny instead.
    documents.forEach(validatePolicyDocument);
    if (documents.length === 0 || documents.length > MAX_POLICY_DOCUMENTS) {
      return deny(`expected 1 to ${MAX_POLICY_DOCUMENTS} policy documents, got ${documents.length}`);
    }
    const now = (deps.now ?? Date.now)();
    const remainingSeconds = Math.floor(identity.expiresAt - now / 1000);
    if (remainingSeconds <= 0) return deny('token expired');
    const principalId = principalIdOf(identity.sub);
    deps.log?.({ outcome: 'allowed', reason: 'valid token of an active user', connectionId, principalId });
    return {
      isAuthenticated: true,
      principalId,
      disconnectAfterInSeconds: clamp(remainingSeconds, MIN_CONNECTION_SECONDS, MAX_CONNECTION_SECONDS),
      refreshAfterInSeconds: REFRESH_AFTER_SECONDS,
      policyDocuments: documents,
    };
  } catch (error) {
    return deny('authorization check failed', error);
  }
}

/**
 * The Cognito sub without hyphens: 32 hex characters, stable for the life of the Cognito user,
 * not personal data, and different for a new user who reuses a deleted user's name. A sub that
 * is not a UUID (never seen from Cognito) is hashed, so the result is always `[a-zA-Z0-9]{1,128}`.
 */
export function principalIdOf(sub: string): string {
  const compact = sub.replace(/-/g, '');
  return /^[a-zA-Z0-9]{1,128}$/.test(compact) ? compact : createHash('sha256').update(sub).digest('hex');
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** `token` as AWS extracted it; else the MQTT password (base64 of the token); else the token key in HTTP. */
export function tokenOf(request: unknown): string | undefined {
  const candidates = [
    stringAt(request, 'token'),
    decodeBase64(stringAt(request, 'protocolData', 'mqtt', 'password')),
    headerValue(valueAt(request, 'protocolData', 'http', 'headers'), TOKEN_KEY_NAME),
    queryValue(stringAt(request, 'protocolData', 'http', 'queryString'), TOKEN_KEY_NAME),
  ];
  return candidates.map((value) => value?.trim()).find((value) => !!value && value.length <= MAX_TOKEN_CHARS);
}

function decodeBase64(value: string | undefined): string | undefined {
  if (!value || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!isRecord(headers)) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === 'string' ? value : undefined;
}

function queryValue(queryString: string | undefined, name: string): string | undefined {
  return queryString ? (new URLSearchParams(queryString).get(name) ?? undefined) : undefined;
}

function valueAt(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

function stringAt(value: unknown, ...path: string[]): string | undefined {
  const found = valueAt(value, ...path);
  return typeof found === 'string' ? found : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
