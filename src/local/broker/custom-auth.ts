/**
 * AWS IoT custom authentication on the broker's side: where the authorizer name and token come
 * from, the request AWS sends the authorizer, and how its answer is read. Shapes follow AWS's
 * "Connecting to AWS IoT Core by using custom authentication" and "Defining your Lambda function".
 */
import type { IncomingMessage } from 'node:http';
import { MAX_CONNECTION_SECONDS, MIN_CONNECTION_SECONDS, TOKEN_KEY_NAME } from '../../authorizer/authorizer.core.js';
import type { CustomAuthorizerRequest } from '../data-plane.js';

export const AUTHORIZER_NAME_KEY = 'x-amz-customauthorizer-name';
const MAX_POLICY_DOCUMENTS = 10;

/** The authorizer name from the MQTT username (`<anything>?x-amz-customauthorizer-name=<name>&...`). */
export function authorizerFromUsername(username: string | undefined): string | undefined {
  const index = username?.indexOf('?') ?? -1;
  if (username === undefined || index < 0) return undefined;
  return new URLSearchParams(username.slice(index + 1)).get(AUTHORIZER_NAME_KEY) || undefined;
}

/** The authorizer name from the WebSocket upgrade: header first, then query parameter. */
export function authorizerFromHttp(req: IncomingMessage | undefined): string | undefined {
  if (!req) return undefined;
  const header = req.headers[AUTHORIZER_NAME_KEY];
  if (typeof header === 'string' && header !== '') return header;
  return new URLSearchParams(queryOf(req)).get(AUTHORIZER_NAME_KEY) || undefined;
}

export interface AuthorizerRequestInput {
  connectionId: string;
  clientId: string;
  username?: string;
  password?: Buffer;
  /** SNI, when the connection is TLS. */
  serverName?: string;
  tls: boolean;
  req?: IncomingMessage;
}

export function authorizerRequest(input: AuthorizerRequestInput): CustomAuthorizerRequest {
  const protocols: CustomAuthorizerRequest['protocols'] = [];
  const protocolData: CustomAuthorizerRequest['protocolData'] = {};
  if (input.tls) {
    protocols.push('tls');
    protocolData.tls = input.serverName ? { serverName: input.serverName } : {};
  }
  let token: string | undefined;
  if (input.req) {
    protocols.push('http');
    const headers = flatHeaders(input.req);
    const query = queryOf(input.req);
    protocolData.http = { headers, queryString: query ? `?${query}` : '' };
    token = headers[TOKEN_KEY_NAME] ?? new URLSearchParams(query).get(TOKEN_KEY_NAME) ?? undefined;
  }
  protocols.push('mqtt');
  protocolData.mqtt = {
    clientId: input.clientId,
    ...(input.username !== undefined ? { username: input.username } : {}),
    // AWS hands the function the MQTT password base64-encoded.
    ...(input.password !== undefined ? { password: input.password.toString('base64') } : {}),
  };
  return {
    ...(token ? { token } : {}),
    signatureVerified: false,
    protocols,
    protocolData,
    connectionMetadata: { id: input.connectionId },
  };
}

export interface AuthorizerGrant {
  principalId: string;
  policyDocuments: string[];
  disconnectAfterSeconds?: number;
}

/**
 * Reads an authorizer's answer; undefined means "refuse". Policy documents may be JSON text (as this
 * project's authorizer answers) or objects (as many Lambdas do). An answer AWS would reject as
 * invalid (more than 10 documents, a disconnect time out of 300..86,400) refuses as well.
 */
export function readAuthorizerAnswer(answer: unknown): AuthorizerGrant | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const response = answer as Record<string, unknown>;
  if (response.isAuthenticated !== true) return undefined;
  const documents = response.policyDocuments;
  if (!Array.isArray(documents) || documents.length === 0 || documents.length > MAX_POLICY_DOCUMENTS) return undefined;
  const policyDocuments = documents.map((document) => (typeof document === 'string' ? document : JSON.stringify(document)));
  const principalId = typeof response.principalId === 'string' ? response.principalId : '';
  const disconnect = response.disconnectAfterInSeconds;
  if (disconnect === undefined) return { principalId, policyDocuments };
  if (typeof disconnect !== 'number' || !Number.isInteger(disconnect) || disconnect < MIN_CONNECTION_SECONDS || disconnect > MAX_CONNECTION_SECONDS) {
    return undefined;
  }
  return { principalId, policyDocuments, disconnectAfterSeconds: disconnect };
}

function queryOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const index = url.indexOf('?');
  return index < 0 ? '' : url.slice(index + 1);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}
