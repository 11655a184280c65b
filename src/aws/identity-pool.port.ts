export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/**
 * The Cognito identity pool. Errors arrive as DomainError (NotAuthorizedException → UNAUTHENTICATED with
 * details.reason SIGN_IN_AGAIN: an expired token, or one of a signed-out or deleted user, which the pool's
 * server-side token check refuses; ResourceNotFoundException → NOT_FOUND).
 */
export abstract class IdentityPoolPort {
  /** GetId with Logins { "cognito-idp.<region>.amazonaws.com/<poolId>": idToken }; stable per user. */
  abstract getIdentityId(idToken: string): Promise<string>;
  /** GetCredentialsForIdentity with the same Logins map. */
  abstract getCredentials(identityId: string, idToken: string): Promise<AwsCredentials>;
  /** DeleteIdentities for one id. AWS deletes unknown ids silently (its model has no not-found code), so this succeeds for them. */
  abstract deleteIdentity(identityId: string): Promise<void>;

  // Bootstrap only: these run before any pool id is configured, so they need AWS_REGION alone.

  /** ListIdentityPools (every page): the id of the pool with this name. CONFLICT when several carry it. */
  abstract findIdentityPool(name: string): Promise<string | undefined>;
  /**
   * CreateIdentityPool trusting the user pool's app client, unauthenticated access off, and
   * ServerSideTokenCheck on so that a global sign-out also stops credential vending.
   */
  abstract createIdentityPool(input: { name: string; userPoolId: string; clientId: string }): Promise<string>;
}
