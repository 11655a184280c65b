import type { OperationDefinition, StepOutput } from './operation.types.js';

/**
 * Every kind this service persists in `operations.kind`. Recovery rebuilds an operation from its
 * row by kind, so a kind once persisted is never renamed without migrating its rows, and boot
 * refuses to start while a RUNNING or UNDOING row names a kind no feature registers.
 */
export const OPERATION_KINDS = [
  'create-user',
  'disable-user',
  'enable-user',
  'delete-user',
  'link-identity',
  'register-device',
  'rotate-certificate',
  'revoke-certificate',
  'delete-device',
  'change-membership',
  'delete-site',
  'drift-delete-thing',
  'drift-delete-policy',
  'drift-delete-certificate',
  'drift-detach',
  'drift-delete-unattached-certificate',
  'drift-delete-cognito-user',
  'drift-recreate-policy',
] as const;

export type OperationKind = (typeof OPERATION_KINDS)[number];

/** An operation a feature defines: its kind is one of the persisted kinds above. */
export type PersistedOperation<P, R, S extends StepOutput = StepOutput, E extends object = Record<string, unknown>> = OperationDefinition<
  P,
  R,
  S,
  E
> & {
  kind: OperationKind;
};
