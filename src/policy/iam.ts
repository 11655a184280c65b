/**
 * IAM documents for the identity pool's authenticated role. Cognito identities reach AWS IoT
 * with this role's credentials, and AWS allows an MQTT action only when both the role and the
 * identity's attached IoT policy allow it. The role therefore grants the four data-plane actions
 * on this account's IoT resources and nothing else: the per-user IoT policy does the narrowing.
 * A managed full-access policy here would let every app user call the IoT control plane.
 */
import { iotArn, type PolicyScope } from './arn.js';

export interface IamStatement {
  Effect: 'Allow';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: Record<string, string>;
  Condition?: Record<string, Record<string, string>>;
}

export interface IamPolicyDocument {
  Version: '2012-10-17';
  Statement: IamStatement[];
}

/** The permissions policy: connect, publish, receive and subscribe on this account's IoT client, topic and topicfilter ARNs. */
export function authenticatedRolePolicy(scope: PolicyScope): IamPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: iotArn(scope, 'client', '*') },
      { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: iotArn(scope, 'topic', '*') },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: iotArn(scope, 'topicfilter', '*') },
    ],
  };
}

/** The trust policy: only authenticated identities of this identity pool may assume the role. */
export function authenticatedRoleTrustPolicy(identityPoolId: string): IamPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': identityPoolId },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
      },
    ],
  };
}
