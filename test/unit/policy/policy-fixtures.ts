/** Small builders shared by the evaluator specs. */
import { iotArn, type PolicyStatement } from '../../../src/policy/documents.js';
import { evaluate, type EvaluationContext, type IotAction, type NamedPolicy } from '../../../src/policy/evaluator.js';

export const scope = { region: 'eu-west-1', accountId: '123456789012' };
export const arn = 'arn:aws:iot:eu-west-1:123456789012';
export const client = (id: string) => iotArn(scope, 'client', id);
export const topic = (name: string) => iotArn(scope, 'topic', name);
export const filter = (name: string) => iotArn(scope, 'topicfilter', name);

export function policy(policyName: string, ...Statement: PolicyStatement[]): NamedPolicy {
  return { policyName, document: { Version: '2012-10-17', Statement } };
}

export const allow = (Action: string | string[], Resource: string | string[]): PolicyStatement => ({
  Effect: 'Allow',
  Action,
  Resource,
});

export const deny = (Action: string | string[], Resource: string | string[]): PolicyStatement => ({
  Effect: 'Deny',
  Action,
  Resource,
});

export function decide(policies: NamedPolicy | NamedPolicy[], action: IotAction, resource: string, context: EvaluationContext = {}) {
  return evaluate(Array.isArray(policies) ? policies : [policies], { action, resource, context });
}

export const allowed = (...args: Parameters<typeof decide>): boolean => decide(...args).allowed;
