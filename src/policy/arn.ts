/** AWS IoT Core resource ARNs for the three data-plane resource kinds. */

export interface PolicyScope {
  region: string;
  accountId: string;
  /** ARN partition: `aws` unless the service runs in another partition (`aws-cn`, `aws-us-gov`). */
  partition?: string;
}

export type IotResourceKind = 'client' | 'topic' | 'topicfilter';

export function iotArn(scope: PolicyScope, kind: IotResourceKind, resource: string): string {
  return `arn:${scope.partition ?? 'aws'}:iot:${scope.region}:${scope.accountId}:${kind}/${resource}`;
}

/** A well-formed IoT data-plane ARN: partition, region, 12-digit account, kind, non-empty name. */
export const IOT_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:iot:[a-z]{2}(?:-[a-z]+)+-\d{1,2}:\d{12}:(?:client|topic|topicfilter)\/\S+$/;
