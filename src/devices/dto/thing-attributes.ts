import { ValidateBy, type ValidationOptions } from 'class-validator';
import type { OwnerKind } from '../device-owner.js';

/** Attributes the service sets on a user's device's thing; callers cannot override them. */
export const RESERVED_ATTRIBUTES = ['owner', 'device'] as const;
/** What the service sets on a site's device's thing. */
export const SITE_RESERVED_ATTRIBUTES = ['site', 'device'] as const;
const SERVICE_SET: Record<OwnerKind, readonly string[]> = { user: RESERVED_ATTRIBUTES, site: SITE_RESERVED_ATTRIBUTES };
/** AWS allows 3 attributes on a thing without a thing type; the service's own take 2. */
export const MAX_EXTRA_ATTRIBUTES = 1;
const SAFE = /^[a-zA-Z0-9_.,@/:#-]+$/;
const SAFE_RULE = 'letters, digits and _.,@/:#-';
const MAX_NAME = 128;
const MAX_VALUE = 800;

/** Why `value` cannot be a device's extra thing attributes, or undefined when it can. */
export function thingAttributesProblem(value: unknown, kind: OwnerKind = 'user'): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'attributes must be an object of strings';
  const entries = Object.entries(value);
  if (entries.length > MAX_EXTRA_ATTRIBUTES) {
    return `attributes may hold at most ${MAX_EXTRA_ATTRIBUTES} entry: AWS allows 3 attributes on a thing without a type, and ${SERVICE_SET[kind].join(' and ')} take 2`;
  }
  for (const [name, text] of entries) {
    if (SERVICE_SET[kind].includes(name)) return `attributes.${name} is set by the service`;
    if (name.length > MAX_NAME || !SAFE.test(name)) return `attribute names must be 1-${MAX_NAME} characters of ${SAFE_RULE}`;
    if (typeof text !== 'string' || text.length > MAX_VALUE || !SAFE.test(text)) {
      return `attributes.${name} must be a string of 1-${MAX_VALUE} characters of ${SAFE_RULE}`;
    }
  }
  return undefined;
}

export function IsThingAttributes(kind: OwnerKind = 'user', options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isThingAttributes',
      validator: {
        validate: (value: unknown) => thingAttributesProblem(value, kind) === undefined,
        defaultMessage: (args) => thingAttributesProblem(args?.value, kind) ?? 'attributes are invalid',
      },
    },
    options,
  );
}
