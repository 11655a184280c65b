/**
 * The custom authorizer as an AWS Lambda function: the same core as POST /v1/authorizer/iot,
 * wired without Nest or Postgres.
 * - verifyToken: the service's TokenVerifier (aws-jwt-verify), JWKS cached across warm invocations.
 * - isUserActive and policyFor: one GET <AUTHORIZER_SERVICE_URL>/v1/authorizer/users/<username>?sub=<sub>
 *   with the shared secret, which answers whether the user is active and, if so, their compiled
 *   documents. The service's database is the only record of "provisioned here", "disabled" and of
 *   site memberships; Cognito cannot answer the first, a disabled Cognito user's tokens stay valid
 *   until they expire, and documents built here from config alone would leave out every site.
 *   Garbage tokens are refused before this call, so unauthenticated clients never reach the
 *   service. If the service is unreachable, or answers no documents, clients are refused (fail closed).
 * Settings come from the Lambda's environment through loadConfig: AWS_REGION (set by Lambda),
 * COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, AUTHORIZER_SECRET, AUTHORIZER_SERVICE_URL.
 */
import 'reflect-metadata';
import type { Handler, IoTCustomAuthorizerEvent } from 'aws-lambda';
import { pino, type Logger } from 'pino';
import { TokenVerifier } from '../auth/token-verifier.js';
import { REDACT_PATHS } from '../common/logging/redact.js';
import type { Env } from '../config/env-parsers.js';
import { NAME_PATTERN } from '../policy/names.js';
import { authorize, type AuthorizerDeps, type AuthorizerResponse } from './authorizer.core.js';
import { logDecision } from './authorizer-log.js';
import { loadLambdaConfig } from './lambda-config.js';
import { ServiceUserStatus, type UserStatus } from './service-user-status.js';

/** The core's answer has the shape of @types/aws-lambda's IoTCustomAuthorizerResult: policy documents as objects. */
export type IotAuthorizerHandler = Handler<IoTCustomAuthorizerEvent, AuthorizerResponse>;
export type AuthorizerFunction = (event: IoTCustomAuthorizerEvent) => Promise<AuthorizerResponse>;

export interface HandlerOptions {
  logger?: Logger;
}

/** Builds the handler from an environment; throws ConfigError when a setting is missing or malformed. */
export function createHandler(env: Env, options: HandlerOptions = {}): AuthorizerFunction {
  const config = loadLambdaConfig(env);
  const logger = options.logger ?? defaultLogger(config.app.logLevel);
  const tokens = new TokenVerifier(config.app);
  const users = new ServiceUserStatus(config.serviceUrl, config.secret);
  return (event) => {
    // The status answer of this invocation carries the documents, so policyFor asks nothing more.
    let answer: { username: string; status: UserStatus } | undefined;
    const deps: AuthorizerDeps = {
      verifyToken: (token) => tokens.verifyAnyToken(token),
      isUserActive: async (username, sub) => {
        // A name outside the safe set cannot be one we provisioned: no need to ask.
        if (!NAME_PATTERN.test(username)) return false;
        answer = { username, status: await users.statusOf(username, sub) };
        return answer.status.active;
      },
      policyFor: (username) => {
        if (answer?.username !== username || !answer.status.active) throw new Error(`no policy documents were answered for ${username}`);
        return Promise.resolve(answer.status.policyDocuments);
      },
      log: (entry) => logDecision(logger, entry),
    };
    return authorize(event, deps);
  };
}

let built: AuthorizerFunction | undefined;

/** The deployed entry point. A configuration problem denies every client and says why in the logs. */
export const handler = (async (event: IoTCustomAuthorizerEvent): Promise<AuthorizerResponse> => {
  try {
    built ??= createHandler(process.env);
  } catch (error) {
    defaultLogger('info').error({ err: error }, 'custom authorizer is misconfigured; denying');
    return { isAuthenticated: false };
  }
  return built(event);
}) satisfies IotAuthorizerHandler;

function defaultLogger(level: string): Logger {
  return pino({ level, base: { fn: 'iot-custom-authorizer' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
