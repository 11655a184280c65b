import { describe, expect, it } from 'vitest';
import { authenticatedRolePolicy, authenticatedRoleTrustPolicy } from '../../../src/policy/iam.js';

const scope = { region: 'eu-west-1', accountId: '123456789012' };
const arn = 'arn:aws:iot:eu-west-1:123456789012';

describe('authenticatedRolePolicy', () => {
  it('allows exactly the four MQTT actions on this account and region', () => {
    expect(authenticatedRolePolicy(scope)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: `${arn}:client/*` },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${arn}:topic/*` },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arn}:topicfilter/*` },
      ],
    });
  });

  it('grants no control-plane action, no wildcard action and nothing outside the account', () => {
    const statements = authenticatedRolePolicy({ region: 'us-east-2', accountId: '210987654321' }).Statement;
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    const resources = statements.flatMap((statement) => [statement.Resource ?? []].flat());
    expect(actions.sort()).toEqual(['iot:Connect', 'iot:Publish', 'iot:Receive', 'iot:Subscribe']);
    expect(resources.every((resource) => resource.startsWith('arn:aws:iot:us-east-2:210987654321:'))).toBe(true);
  });

  it('follows the partition of the scope', () => {
    const [connect] = authenticatedRolePolicy({ ...scope, region: 'cn-north-1', partition: 'aws-cn' }).Statement;
    expect(connect!.Resource).toBe('arn:aws-cn:iot:cn-north-1:123456789012:client/*');
  });
});

describe('authenticatedRoleTrustPolicy', () => {
  it('lets only authenticated identities of the one identity pool assume the role', () => {
    expect(authenticatedRoleTrustPolicy('eu-west-1:1234abcd-0000-4000-8000-00000000abcd')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: 'cognito-identity.amazonaws.com' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { 'cognito-identity.amazonaws.com:aud': 'eu-west-1:1234abcd-0000-4000-8000-00000000abcd' },
            'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
          },
        },
      ],
    });
  });
});
