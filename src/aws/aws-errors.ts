import { DomainError, type ErrorDetails } from '../common/errors/domain-error.js';
import { NON_IDEMPOTENT_APIS, outcomeUnknown } from './aws-retry.js';

/** The IAM service prefix of the client that made the call: it names the permission an operator must grant. */
export type AwsService = 'iot' | 'cognito-idp' | 'cognito-identity';

export interface AwsCallContext {
  service: AwsService;
  /** The AWS API name, e.g. 'CreateThing'. */
  api: string;
}

/** AWS does not say how long to back off; one second matches the SDK's base throttling delay. */
const THROTTLE_RETRY_SECONDS = 1;

const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'LimitExceededException', 'RequestLimitExceeded']);
const UNAVAILABLE = new Set(['ServiceUnavailableException', 'InternalFailureException', 'InternalErrorException', 'InternalServerError']);
// ForbiddenException: the IoT data plane's (DeleteConnection) name for a missing permission.
const DENIED = new Set(['UnauthorizedException', 'AccessDeniedException', 'AccessDenied', 'ForbiddenException']);
const INVALID = new Set(['InvalidRequestException', 'InvalidParameterException', 'InvalidPasswordException', 'MalformedPolicyException']);
const STATE_CONFLICT = new Set([
  'DeleteConflictException',
  'CertificateStateException',
  'VersionsLimitExceededException',
  'ResourceConflictException',
]);
const NETWORK = new Set(['TimeoutError', 'AbortError', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
/** Sign-in must not reveal whether a username exists (Cognito's PreventUserExistenceErrors does the same). */
const SIGN_IN_APIS = new Set(['AdminInitiateAuth', 'AdminRespondToAuthChallenge']);

/**
 * The one translation from AWS SDK errors to DomainError, keyed on error.name. Adapters and the
 * test fakes both go through it, so fakes raise exactly what the adapters would.
 * Messages come from AWS only where AWS states a rule the caller must follow (a password policy,
 * a malformed request); tokens that look like JWTs are scrubbed from them regardless.
 */
export function translateAwsError(error: unknown, context: AwsCallContext): DomainError {
  if (error instanceof DomainError) return error;
  const translated = translate(error, context);
  // A creation AWS may have performed although the call failed: the caller has to look for what it made.
  if (NON_IDEMPOTENT_APIS.has(context.api) && translated.code === 'AWS_UNAVAILABLE' && outcomeUnknown(error)) {
    return new DomainError(
      'AWS_UNAVAILABLE',
      `${translated.message}; AWS may have performed ${context.api} anyway`,
      { ...translated.details, outcome: 'unknown' },
      translated.retryAfterSeconds,
    );
  }
  return translated;
}

function translate(error: unknown, context: AwsCallContext): DomainError {
  const name = errorName(error);
  const awsMessage = safeMessage(error);
  const details: ErrorDetails = { awsError: name, api: context.api };

  if (name === 'ResourceAlreadyExistsException' || name === 'UsernameExistsException') {
    return DomainError.conflict(context.service === 'cognito-idp' ? 'The user already exists' : 'The AWS resource already exists', details);
  }
  if (name === 'UserNotFoundException') {
    if (SIGN_IN_APIS.has(context.api)) return new DomainError('INVALID_CREDENTIALS', 'Incorrect username or password', details);
    return DomainError.notFound('User', details);
  }
  if (name === 'ResourceNotFoundException') {
    // Every user-pool call targets the configured pool and app client: if AWS cannot find them, the deployment is wrong.
    if (context.service === 'cognito-idp') {
      return new DomainError(
        'AWS_UNAVAILABLE',
        'The configured Cognito user pool or app client does not exist: check COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID',
        details,
      );
    }
    return DomainError.notFound('AWS resource', details);
  }
  if (STATE_CONFLICT.has(name)) return DomainError.conflict(awsMessage ?? `AWS refused ${context.api} in the resource's current state`, details);
  // DeleteThing refuses a thing with attached principals with InvalidRequestException ("Cannot delete.
  // Thing <name> is still attached to one or more principals"): AWS's model (botocore iot 2015-05-28)
  // has no exception of its own for it, only ResourceNotFound, VersionConflict (for expectedVersion,
  // which the service never sends) and InvalidRequest. The service sends DeleteThing nothing but a
  // validated thing name, so on DeleteThing that error means the refusal. AWS's message is the only
  // explicit signal; the service does not depend on its wording.
  if (name === 'InvalidRequestException' && context.api === 'DeleteThing') {
    return DomainError.conflict(awsMessage ?? 'The thing still has principals attached', { ...details, reason: 'PRINCIPALS_ATTACHED' });
  }
  if (INVALID.has(name)) return DomainError.validation(awsMessage ?? 'AWS rejected the request as invalid', details);
  if (name === 'NotAuthorizedException') return notAuthorized(context, awsMessage, details);
  if (name === 'PasswordResetRequiredException') {
    return new DomainError('FORBIDDEN', 'The password must be reset before signing in', { ...details, reason: 'PASSWORD_RESET_REQUIRED' });
  }
  if (name === 'UserNotConfirmedException') {
    return new DomainError('FORBIDDEN', 'The user is not confirmed', { ...details, reason: 'USER_NOT_CONFIRMED' });
  }
  // IoT's LimitExceededException (HTTP 410) is a hard limit, e.g. AttachPolicy's 10 policies per target:
  // waiting will not help, so it is a conflict, never a throttle.
  if (name === 'LimitExceededException' && context.api === 'AttachPolicy') {
    return DomainError.conflict('The target already has the maximum number of attached IoT policies (10)', { ...details, reason: 'POLICY_LIMIT' });
  }
  if (name === 'LimitExceededException' && context.service === 'iot') {
    return DomainError.conflict(awsMessage ?? `AWS refused ${context.api}: an AWS IoT limit has been reached`, { ...details, reason: 'AWS_LIMIT' });
  }
  if (THROTTLED.has(name)) {
    return new DomainError('AWS_THROTTLED', `AWS is throttling ${context.api}; retry later`, details, THROTTLE_RETRY_SECONDS);
  }
  if (DENIED.has(name)) {
    const permission = `${context.service}:${context.api}`;
    return new DomainError('AWS_UNAVAILABLE', `AWS denied ${permission}: the service's IAM role is missing this permission`, {
      ...details,
      permission,
    });
  }
  if (UNAVAILABLE.has(name)) return new DomainError('AWS_UNAVAILABLE', `AWS is temporarily unavailable (${context.api})`, details);
  if (isNetworkError(error, name)) {
    return new DomainError('AWS_UNAVAILABLE', `AWS could not be reached (${context.api})`, { api: context.api, cause: networkCause(error, name) });
  }
  return new DomainError('AWS_UNAVAILABLE', `AWS call ${context.api} failed with ${name}`, details);
}

function notAuthorized(context: AwsCallContext, awsMessage: string | undefined, details: ErrorDetails): DomainError {
  // The identity pool refuses an expired ID token, and, with ServerSideTokenCheck on its user-pool
  // provider, the still-unexpired ID token of a user who was signed out globally or deleted ("the
  // identity pool will return a 400 Not Authorized error", botocore cognito-identity 2014-06-30,
  // CognitoIdentityProvider.ServerSideTokenCheck). The app can do one thing about any of these:
  // sign in again for a fresh token. 401 like any rejected token, with a reason that says so.
  if (context.service === 'cognito-identity') {
    return new DomainError(
      'UNAUTHENTICATED',
      'The identity pool refused the ID token (expired, or the user was signed out or deleted): sign in again',
      {
        ...details,
        reason: 'SIGN_IN_AGAIN',
      },
    );
  }
  if (awsMessage === 'User is disabled.') {
    return new DomainError('FORBIDDEN', 'The user is disabled', { ...details, reason: 'USER_DISABLED' });
  }
  return new DomainError('INVALID_CREDENTIALS', awsMessage?.replace(/\.$/, '') ?? 'Invalid credentials', details);
}

function errorName(error: unknown): string {
  if (error && typeof error === 'object' && 'name' in error && typeof error.name === 'string') return error.name;
  return 'UnknownError';
}

/** Errors raised below the SDK's deserializer (sockets, DNS, timeouts) carry no $metadata. */
function isNetworkError(error: unknown, name: string): boolean {
  if (NETWORK.has(name) || NETWORK.has(networkCause(error, name))) return true;
  if (error instanceof Error && /socket hang up/i.test(error.message)) return true;
  return !(error && typeof error === 'object' && '$metadata' in error);
}

function networkCause(error: unknown, name: string): string {
  const code = error && typeof error === 'object' && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : name;
}

const JWT_LIKE = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

function safeMessage(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.message) return undefined;
  return error.message.replace(JWT_LIKE, '[redacted]').slice(0, 500);
}
