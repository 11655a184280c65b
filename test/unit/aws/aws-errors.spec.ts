import { describe, expect, it } from 'vitest';
import { ResourceAlreadyExistsException } from '@aws-sdk/client-iot';
import { translateAwsError, type AwsCallContext } from '../../../src/aws/aws-errors.js';
import { DomainError } from '../../../src/common/errors/domain-error.js';

const iot: AwsCallContext = { service: 'iot', api: 'CreateThing' };
const pool: AwsCallContext = { service: 'cognito-idp', api: 'AdminCreateUser' };
const signIn: AwsCallContext = { service: 'cognito-idp', api: 'AdminInitiateAuth' };
const identity: AwsCallContext = { service: 'cognito-identity', api: 'GetId' };

function aws(name: string, message = 'aws says no'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

describe('translateAwsError', () => {
  it.each([
    ['ResourceAlreadyExistsException', iot, 'CONFLICT'],
    ['UsernameExistsException', pool, 'CONFLICT'],
    ['ResourceNotFoundException', iot, 'NOT_FOUND'],
    ['ResourceNotFoundException', identity, 'NOT_FOUND'],
    ['UserNotFoundException', { service: 'cognito-idp', api: 'AdminDeleteUser' }, 'NOT_FOUND'],
    ['UserNotFoundException', signIn, 'INVALID_CREDENTIALS'],
    ['DeleteConflictException', iot, 'CONFLICT'],
    ['CertificateStateException', iot, 'CONFLICT'],
    ['InvalidRequestException', iot, 'VALIDATION_FAILED'],
    ['InvalidParameterException', pool, 'VALIDATION_FAILED'],
    ['MalformedPolicyException', iot, 'VALIDATION_FAILED'],
    ['NotAuthorizedException', signIn, 'INVALID_CREDENTIALS'],
    ['NotAuthorizedException', identity, 'UNAUTHENTICATED'],
    ['ThrottlingException', iot, 'AWS_THROTTLED'],
    ['TooManyRequestsException', pool, 'AWS_THROTTLED'],
    ['LimitExceededException', pool, 'AWS_THROTTLED'],
    ['LimitExceededException', { service: 'iot', api: 'AttachPolicy' }, 'CONFLICT'],
    ['LimitExceededException', { service: 'iot', api: 'DetachPolicy' }, 'CONFLICT'],
    ['ServiceUnavailableException', iot, 'AWS_UNAVAILABLE'],
    ['InternalFailureException', iot, 'AWS_UNAVAILABLE'],
    ['InternalErrorException', pool, 'AWS_UNAVAILABLE'],
    ['UnauthorizedException', iot, 'AWS_UNAVAILABLE'],
    ['AccessDeniedException', identity, 'AWS_UNAVAILABLE'],
    ['SomethingNewException', iot, 'AWS_UNAVAILABLE'],
  ] as const)('%s from %o → %s', (name, context, code) => {
    const error = translateAwsError(aws(name), context);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe(code);
    expect(error.details).toMatchObject({ awsError: name, api: context.api });
  });

  it('passes the password policy text through to the caller', () => {
    const error = translateAwsError(aws('InvalidPasswordException', 'Password does not conform to policy: Password not long enough'), pool);
    expect(error.message).toBe('Password does not conform to policy: Password not long enough');
  });

  it('maps a disabled user to FORBIDDEN with reason USER_DISABLED', () => {
    const error = translateAwsError(aws('NotAuthorizedException', 'User is disabled.'), signIn);
    expect(error).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'USER_DISABLED' } });
  });

  it.each([
    ['PasswordResetRequiredException', 'PASSWORD_RESET_REQUIRED'],
    ['UserNotConfirmedException', 'USER_NOT_CONFIRMED'],
  ])('maps %s to FORBIDDEN with reason %s', (name, reason) => {
    expect(translateAwsError(aws(name), signIn)).toMatchObject({ code: 'FORBIDDEN', details: { reason } });
  });

  it('gives throttling a retryAfterSeconds', () => {
    expect(translateAwsError(aws('ThrottlingException'), iot).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('treats DeleteThing with attached principals as a conflict, not bad input', () => {
    const error = translateAwsError(aws('InvalidRequestException', 'Cannot delete. Thing t1 is still attached to one or more principals'), {
      service: 'iot',
      api: 'DeleteThing',
    });
    expect(error).toMatchObject({ code: 'CONFLICT', details: { reason: 'PRINCIPALS_ATTACHED' } });
  });

  it("recognises DeleteThing's refusal by API and error name, not by AWS's wording", () => {
    const reworded = translateAwsError(aws('InvalidRequestException', 'Thing t1 has principals; detach them first'), {
      service: 'iot',
      api: 'DeleteThing',
    });
    expect(reworded).toMatchObject({ code: 'CONFLICT', details: { reason: 'PRINCIPALS_ATTACHED' } });
    // Elsewhere InvalidRequestException stays bad input, even with the same words in it.
    const elsewhere = translateAwsError(aws('InvalidRequestException', 'Policy is still attached'), { service: 'iot', api: 'CreateThing' });
    expect(elsewhere.code).toBe('VALIDATION_FAILED');
  });

  it('tells the operator which IAM permission is missing, never a 401', () => {
    const error = translateAwsError(aws('AccessDeniedException'), { service: 'iot', api: 'AttachPolicy' });
    expect(error.status).toBe(503);
    expect(error.message).toContain('iot:AttachPolicy');
    expect(error.message).toContain('IAM');
  });

  it('reports a missing user pool as a deployment problem', () => {
    expect(translateAwsError(aws('ResourceNotFoundException'), pool).code).toBe('AWS_UNAVAILABLE');
  });

  it.each([
    Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    Object.assign(new Error('ETIMEDOUT'), { code: 'ETIMEDOUT' }),
    new Error('socket hang up'),
    new TypeError('fetch failed'),
  ])('maps network failure %s to AWS_UNAVAILABLE', (failure) => {
    expect(translateAwsError(failure, iot).code).toBe('AWS_UNAVAILABLE');
  });

  it('accepts the SDK exception classes', () => {
    const error = new ResourceAlreadyExistsException({ message: 'exists', $metadata: {}, resourceId: 't1', resourceArn: 'arn' });
    expect(translateAwsError(error, iot).code).toBe('CONFLICT');
  });

  it('returns DomainErrors unchanged', () => {
    const original = new DomainError('AWS_THROTTLED', 'queue full', undefined, 3);
    expect(translateAwsError(original, iot)).toBe(original);
  });

  it('scrubs JWT-like strings from AWS messages', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const error = translateAwsError(aws('InvalidParameterException', `bad token ${token}`), identity);
    expect(error.message).not.toContain(token);
    expect(JSON.stringify(error.details)).not.toContain(token);
  });
});
