import { devicePolicyDocument, siteDevicePolicyDocument, type PolicyDocument, type PolicyScope } from '../policy/documents.js';
import { deviceTopicPrefix, siteDeviceCommandsPrefix, siteDeviceTopicPrefix, siteThingName, thingName } from '../policy/names.js';

/**
 * A device belongs to a user or to a site. Everything that differs between the two lives here:
 * names, the policy document, the thing attributes, the topics; the operations and the rows treat
 * both alike.
 */
export type OwnerKind = 'user' | 'site';

/** The owning row: its kind, its id (the user or site row) and its name (username or site name). */
export interface Owner {
  kind: OwnerKind;
  id: string;
  name: string;
}

/** The thing name, which is also the device's policy name and its client id. */
export function ownedThingName(prefix: string, owner: Pick<Owner, 'kind' | 'name'>, device: string): string {
  return owner.kind === 'user' ? thingName(prefix, owner.name, device) : siteThingName(prefix, owner.name, device);
}

export function ownedDevicePolicyDocument(scope: PolicyScope, prefix: string, owner: Pick<Owner, 'kind' | 'name'>, device: string): PolicyDocument {
  return owner.kind === 'user'
    ? devicePolicyDocument(scope, prefix, owner.name, device)
    : siteDevicePolicyDocument(scope, prefix, owner.name, device);
}

/** The attributes the service sets on a thing, beside the caller's extra one. */
export function ownedThingAttributes(owner: Pick<Owner, 'kind' | 'name'>, device: string): Record<string, string> {
  return owner.kind === 'user' ? { owner: owner.name, device } : { site: owner.name, device };
}

/**
 * Where the device talks: a user's device publishes, receives and subscribes under `topicPrefix`;
 * a site's device publishes under `topicPrefix` and hears its commands under `commandsPrefix`.
 */
export function ownedDeviceTopics(owner: Pick<Owner, 'kind' | 'name'>, device: string): { topicPrefix: string; commandsPrefix?: string } {
  if (owner.kind === 'user') return { topicPrefix: deviceTopicPrefix(owner.name, device) };
  return { topicPrefix: siteDeviceTopicPrefix(owner.name, device), commandsPrefix: siteDeviceCommandsPrefix(owner.name, device) };
}

/** How messages name the owner: "User alice", "Site warehouse". */
export function ownerLabel(owner: Pick<Owner, 'kind' | 'name'>): string {
  return `${owner.kind === 'user' ? 'User' : 'Site'} ${owner.name}`;
}

/** The owner in error details, as each kind has always been named there (`username`, `site`). */
export function ownerDetails(owner: Pick<Owner, 'kind' | 'name'>): Record<string, string> {
  return owner.kind === 'user' ? { username: owner.name } : { site: owner.name };
}
