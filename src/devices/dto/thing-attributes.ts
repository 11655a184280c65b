import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Attributes the service sets on every thing; callers cannot override them. */
export const RESERVED_ATTRIBUTES = ['owner', 'device'] as const;
/** AWS allows 3 attributes on a thing without a thing type; owner and device take 2. */
export const MAX_EXTRA_ATTRIBUTES = 1;
const SAFE = /^[a-zA-Z0-9_.,@/:#-]+$/;
const SAFE_RULE = 'letters, digits and _.,@/:#-';
const MAX_NAME = 128;
const MAX_VALUE = 800;

/** Why `value` cannot be a device's extra thing attributes, or undefined when it can. */
export function thingAttributesProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'attributes must be an object of strings';
  const entries = Object.entries(value);
  if (entries.length > MAX_EXTRA_ATTRIBUTES) {
    return `attributes may hold at most ${MAX_EXTRA_ATTRIBUTES} entry: AWS allows 3 attributes on a thing without a type, and owner and device take 2`;
  }
  for (const [name, text] of entries) {
    if ((RESERVED_ATTRIBUTES as readonly string[]).includes(name)) return `attributes.${name} is set by the service`;
    if (name.length > MAX_NAME || !SAFE.test(name)) return `attribute names must be 1-${MAX_NAME} characters of ${SAFE_RULE}`;
    if (typeof text !== 'string' || text.length > MAX_VALUE || !SAFE.test(text)) {
      return `attributes.${name} must be a string of 1-${MAX_VALUE} characters of ${SAFE_RULE}`;
    }
  }
  return undefined;
}

export function IsThingAttributes(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isThingAttributes',
      validator: {
        validate: (value: unknown) => thingAttributesProblem(value) === undefined,
        defaultMessage: (args) => thingAttributesProblem(args?.value) ?? 'attributes are invalid',
      },
    },
    options,
  );
}
