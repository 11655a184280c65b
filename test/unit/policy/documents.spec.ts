import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import {
  MAX_POLICY_CHARS,
  PolicyDocumentError,
  devicePolicyDocument,
  iotArn,
  renderPolicy,
  userPolicyDocument,
  validatePolicyDocument,
  type PolicyDocument,
} from '../../../src/policy/documents.js';

const scope = { region: 'eu-west-1', accountId: '123456789012' };
const arn = 'arn:aws:iot:eu-west-1:123456789012';

describe('iotArn', () => {
  it('builds client, topic and topicfilter ARNs', () => {
    expect(iotArn(scope, 'client', 'alice')).toBe(`${arn}:client/alice`);
    expect(iotArn(scope, 'topicfilter', 'alice/#')).toBe(`${arn}:topicfilter/alice/#`);
    expect(iotArn({ ...scope, region: 'cn-north-1', partition: 'aws-cn' }, 'topic', 'a')).toBe('arn:aws-cn:iot:cn-north-1:123456789012:topic/a');
  });
});

describe('policy documents', () => {
  it('grants a user exactly its client ids and topic subtree', () => {
    expect(userPolicyDocument(scope, 'alice')).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: [`${arn}:client/alice`, `${arn}:client/alice.*`] },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${arn}:topic/alice/*` },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arn}:topicfilter/alice/*` },
      ],
    });
  });

  it('grants a device exactly its thing name and its own topic subtree', () => {
    expect(devicePolicyDocument(scope, 'iotp', 'alice', 'scanner1')).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: `${arn}:client/iotp_alice_scanner1` },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${arn}:topic/alice/scanner1/*` },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arn}:topicfilter/alice/scanner1/*` },
      ],
    });
  });

  it('refuses unsafe names as user input, not as a document error', () => {
    expect(() => userPolicyDocument(scope, 'alice*')).toThrow(DomainError);
    expect(() => devicePolicyDocument(scope, 'iotp', 'alice', 'x/#')).toThrow(DomainError);
  });

  it('renders compact JSON that parses back to the document', () => {
    const doc = devicePolicyDocument(scope, 'iotp', 'alice', 'scanner1');
    const text = renderPolicy(doc);
    expect(JSON.parse(text)).toEqual(doc);
    expect(text).not.toMatch(/\s/);
  });

  it('stays well under the size limit with the longest names', () => {
    const long = 'a'.repeat(48);
    const text = renderPolicy(devicePolicyDocument(scope, 'p'.repeat(16), long, long));
    expect(text.length).toBeLessThan(MAX_POLICY_CHARS / 2);
    expect(renderPolicy(userPolicyDocument(scope, long)).length).toBeLessThan(MAX_POLICY_CHARS / 2);
  });
});

describe('validatePolicyDocument', () => {
  const valid = (): PolicyDocument => userPolicyDocument(scope, 'alice');
  const withStatement = (patch: object): PolicyDocument => {
    const doc = valid();
    doc.Statement[0] = { ...doc.Statement[0]!, ...patch };
    return doc;
  };

  it('accepts the generated documents', () => {
    expect(() => validatePolicyDocument(valid())).not.toThrow();
  });

  it('counts size without whitespace: exactly 2048 passes, 2049 fails', () => {
    const sized = (chars: number): PolicyDocument => {
      const doc = withStatement({ Resource: `${arn}:topic/` });
      const base = JSON.stringify(doc).length;
      (doc.Statement[0] as { Resource: string }).Resource += 'x'.repeat(chars - base);
      return doc;
    };
    expect(() => validatePolicyDocument(sized(MAX_POLICY_CHARS))).not.toThrow();
    expect(() => validatePolicyDocument(sized(MAX_POLICY_CHARS + 1))).toThrow(PolicyDocumentError);
    expect(() => validatePolicyDocument(sized(MAX_POLICY_CHARS + 1))).toThrow(/2049 characters/);
  });

  it.each([
    ['no partition', 'aws:iot:eu-west-1:123456789012:topic/a'],
    ['wrong service', 'arn:aws:s3:eu-west-1:123456789012:topic/a'],
    ['short account', 'arn:aws:iot:eu-west-1:12345678901:topic/a'],
    ['missing region', 'arn:aws:iot::123456789012:topic/a'],
    ['unknown kind', 'arn:aws:iot:eu-west-1:123456789012:thing/a'],
    ['empty resource', 'arn:aws:iot:eu-west-1:123456789012:topic/'],
    ['whitespace in topic', 'arn:aws:iot:eu-west-1:123456789012:topic/a b'],
    ['bare wildcard', '*'],
  ])('rejects a malformed ARN (%s)', (_label, resource) => {
    expect(() => validatePolicyDocument(withStatement({ Resource: resource }))).toThrow(PolicyDocumentError);
  });

  it.each([['s3:GetObject'], ['iot:'], ['Connect'], ['*'], ['iot:Connect ']])('rejects action %j', (action) => {
    expect(() => validatePolicyDocument(withStatement({ Action: action }))).toThrow(/Action/);
  });

  it('rejects a bad Effect, empty lists and empty statements', () => {
    expect(() => validatePolicyDocument(withStatement({ Effect: 'allow' }))).toThrow(/Effect/);
    expect(() => validatePolicyDocument(withStatement({ Action: [] }))).toThrow(/Action/);
    expect(() => validatePolicyDocument(withStatement({ Resource: [] }))).toThrow(/Resource/);
    expect(() => validatePolicyDocument({ Version: '2012-10-17', Statement: [] })).toThrow(/Statement/);
    expect(() => renderPolicy({ ...valid(), Version: '2008-10-17' as '2012-10-17' })).toThrow(/Version/);
  });

  it('is a plain programming error, not a DomainError', () => {
    const error = (() => {
      try {
        validatePolicyDocument(withStatement({ Action: 'bad' }));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(PolicyDocumentError);
    expect(error).not.toBeInstanceOf(DomainError);
  });
});
