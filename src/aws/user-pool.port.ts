import type { Page } from './iot.port.js';

/** Tokens Cognito returns on a successful authentication. */
export interface CognitoTokens {
  idToken: string;
  accessToken: string;
  /** Absent on REFRESH_TOKEN_AUTH: Cognito keeps the refresh token the app already has. */
  refreshToken?: string;
  expiresIn: number;
}

export type AuthOutcome = { kind: 'tokens'; tokens: CognitoTokens } | { kind: 'challenge'; challenge: 'NEW_PASSWORD_REQUIRED'; session: string };

/** A user pool as `npm run bootstrap` finds or creates it. */
export interface UserPoolRef {
  userPoolId: string;
  arn: string;
}

/**
 * The custom attribute that marks a pool user as this service's: it holds the id of the user row
 * the creating operation inserts (chosen before AdminCreateUser). Immutable in the pool's schema
 * (`npm run bootstrap` declares it), so neither the user nor an admin can change it after creation.
 * It tells a user whose AdminCreateUser answer was lost from someone else's, and lets drift find
 * the service's pool users that no row claims.
 */
export const USER_ID_ATTRIBUTE = 'custom:iotp_user_id';

/** A pool user as AdminGetUser and ListUsers describe it. */
export interface PoolUser {
  username: string;
  sub: string;
  status: string;
  enabled: boolean;
  /** USER_ID_ATTRIBUTE: absent on users the service did not create. */
  userId?: string;
  createdAt: Date;
}

export interface CreatedPoolUser {
  username: string;
  sub: string;
  status: string;
}

/** What Cognito says of a user now, whatever its tokens claimed when they were issued. */
export interface PoolUserStanding {
  sub: string;
  enabled: boolean;
  groups: string[];
}

/**
 * The Cognito user pool, as the service uses it. Errors arrive as DomainError:
 * UsernameExistsException → CONFLICT, UserNotFoundException → NOT_FOUND,
 * NotAuthorizedException → INVALID_CREDENTIALS (or FORBIDDEN with reason USER_DISABLED),
 * InvalidPasswordException/InvalidParameterException → VALIDATION_FAILED with Cognito's reason,
 * TooManyRequestsException → AWS_THROTTLED.
 */
export abstract class UserPoolPort {
  /** AdminCreateUser; the invitation message is suppressed unless sendInvite; userId goes into USER_ID_ATTRIBUTE. */
  abstract createUser(input: {
    username: string;
    email?: string;
    temporaryPassword?: string;
    sendInvite: boolean;
    userId?: string;
  }): Promise<CreatedPoolUser>;
  /** AdminGetUser: whether the pool has a user of this name (UserNotFoundException → false). */
  abstract userExists(username: string): Promise<boolean>;
  /** AdminGetUser and AdminListGroupsForUser (every page); undefined when the pool has no such user. */
  abstract standingOf(username: string): Promise<PoolUserStanding | undefined>;
  /** AdminGetUser: the user, or undefined (UserNotFoundException). */
  abstract findUser(username: string): Promise<PoolUser | undefined>;
  /** ListUsers, one page (at most 60 users; PaginationToken). */
  abstract listUsers(nextToken?: string): Promise<Page<PoolUser>>;
  abstract disableUser(username: string): Promise<void>;
  abstract enableUser(username: string): Promise<void>;
  /** AdminUserGlobalSignOut: invalidates the user's refresh tokens. */
  abstract signOutEverywhere(username: string): Promise<void>;
  abstract deleteUser(username: string): Promise<void>;
  /** AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH. */
  abstract signIn(username: string, password: string): Promise<AuthOutcome>;
  /** AdminRespondToAuthChallenge with NEW_PASSWORD. */
  abstract completeNewPassword(username: string, session: string, newPassword: string): Promise<AuthOutcome>;
  /** AdminInitiateAuth with REFRESH_TOKEN_AUTH. */
  abstract refresh(username: string, refreshToken: string): Promise<AuthOutcome>;
  /** The pool's ARN (DescribeUserPool), from which the account id is read when AWS_ACCOUNT_ID is unset. */
  abstract userPoolArn(): Promise<string>;

  // Bootstrap only: these run before any pool id is configured, so they need AWS_REGION alone.

  /** ListUserPools (every page), then DescribeUserPool for the ARN. CONFLICT when several pools carry the name. */
  abstract findUserPool(name: string): Promise<UserPoolRef | undefined>;
  /** CreateUserPool: only admins create users (no self sign-up); usernames are case-insensitive; USER_ID_ATTRIBUTE in the schema. */
  abstract createUserPool(name: string): Promise<UserPoolRef>;
  /** ListUserPoolClients (every page): the id of the app client with this name. CONFLICT when several carry it. */
  abstract findAppClient(userPoolId: string, name: string): Promise<string | undefined>;
  /** CreateUserPoolClient without a secret, allowing ADMIN_USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH only. */
  abstract createAppClient(userPoolId: string, name: string): Promise<string>;
}
