import { describe, expect, it } from 'vitest';
import { outcomeUnknown, retryClass } from '../../../src/aws/aws-retry.js';

function answered(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}
function socketError(code: string, name = 'Error'): Error {
  return Object.assign(new Error(code), { name, code });
}

describe('retryClass', () => {
  it.each([
    ['ThrottlingException 400', 'AttachPolicy', answered('ThrottlingException', 400), 'throttling'],
    ['TooManyRequestsException 400', 'AdminDisableUser', answered('TooManyRequestsException', 400), 'throttling'],
    ['any 429', 'GetId', answered('SomethingNew', 429), 'throttling'],
    ['LimitExceededException 410', 'AttachPolicy', answered('LimitExceededException', 410), 'none'],
    ['LimitExceededException from Cognito', 'GetId', answered('LimitExceededException', 400), 'none'],
    ['ServiceUnavailableException 503', 'CreateThing', answered('ServiceUnavailableException', 503), 'transient'],
    ['a bare 502', 'ListThings', answered('UnknownError', 502), 'transient'],
    ['a request timeout', 'CreateThing', socketError('ETIMEDOUT', 'TimeoutError'), 'transient'],
    ['a reset connection', 'CreateThing', socketError('ECONNRESET'), 'transient'],
    ['InvalidRequestException 400', 'CreateThing', answered('InvalidRequestException', 400), 'none'],
    ['a timed-out creation', 'CreateKeysAndCertificate', socketError('ETIMEDOUT', 'TimeoutError'), 'none'],
    ['a creation answered 500', 'CreateCertificateFromCsr', answered('InternalFailureException', 500), 'none'],
    ['a throttled creation', 'CreateKeysAndCertificate', answered('ThrottlingException', 400), 'throttling'],
    ['a creation whose connection was refused', 'CreateCertificateFromCsr', socketError('ECONNREFUSED'), 'transient'],
  ])('%s on %s: %s', (_, api, error, expected) => {
    expect(retryClass(api, error)).toBe(expected);
  });
});

describe('outcomeUnknown', () => {
  it('is true when AWS may have acted: faults, timeouts, connections lost mid-request', () => {
    expect(outcomeUnknown(answered('InternalFailureException', 500))).toBe(true);
    expect(outcomeUnknown(socketError('ETIMEDOUT', 'TimeoutError'))).toBe(true);
    expect(outcomeUnknown(socketError('ECONNRESET'))).toBe(true);
  });

  it('is false for refusals AWS answered and for requests that never left', () => {
    expect(outcomeUnknown(answered('ThrottlingException', 400))).toBe(false);
    expect(outcomeUnknown(answered('InvalidRequestException', 400))).toBe(false);
    expect(outcomeUnknown(socketError('ECONNREFUSED'))).toBe(false);
  });
});
