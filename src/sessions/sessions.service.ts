import { Injectable } from '@nestjs/common';
import { UserPoolPort, type AuthOutcome, type CognitoTokens } from '../aws/user-pool.port.js';
import type { VerifiedUser } from '../auth/token-verifier.js';
import { DomainError, isDomainError } from '../common/errors/domain-error.js';
import { UsersRepository, type SessionUser } from '../users/users.repository.js';
import { CredentialCache, refuseTokenIssuedBefore, type CredentialOwner, type VendedCredentials } from '../credential-cache/credential-cache.js';
import { CredentialVendor } from './credential-vendor.js';
import type { ChallengeAnswerDto, RefreshDto, SignInDto } from './dto/sign-in.dto.js';
import type { CredentialsResponseDto, NewPasswordChallengeDto, SessionDto } from './dto/session.dto.js';
import { MqttSettings } from './mqtt-settings.js';
import { withRefreshAfter } from './refresh-after.js';
import { usableUser } from './session-user.js';
import { SignInLimiter } from './sign-in-limiter.js';
import { identityOfIssuedToken } from './token-claims.js';

/** Sign-in, the new-password challenge, refresh, and credentials for apps that sign in with Cognito themselves. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly userPool: UserPoolPort,
    private readonly users: UsersRepository,
    private readonly vendor: CredentialVendor,
    private readonly mqtt: MqttSettings,
    private readonly limiter: SignInLimiter,
    private readonly cache: CredentialCache,
  ) {}

  async signIn(dto: SignInDto, address: string): Promise<SessionDto | NewPasswordChallengeDto> {
    let signedIn: { outcome: AuthOutcome; user?: SessionUser | null };
    try {
      signedIn = await this.limiter.guard(dto.username, address, () => this.userPool.signIn(dto.username, dto.password), usernameOfTokens);
    } catch (error) {
      // One answer, without AWS's details, whether the user is unknown or the password wrong.
      if (isDomainError(error, 'INVALID_CREDENTIALS')) throw new DomainError('INVALID_CREDENTIALS', 'Incorrect username or password');
      throw error;
    }
    return this.complete(signedIn.outcome, signedIn.user);
  }

  async answerChallenge(dto: ChallengeAnswerDto): Promise<SessionDto | NewPasswordChallengeDto> {
    return this.complete(await this.userPool.completeNewPassword(dto.username, dto.session, dto.newPassword));
  }

  async refresh(dto: RefreshDto): Promise<SessionDto> {
    const outcome = await this.userPool.refresh(dto.username, dto.refreshToken);
    if (outcome.kind !== 'tokens') throw new DomainError('AWS_UNAVAILABLE', 'Cognito answered a refresh with a challenge');
    return this.session(outcome.tokens);
  }

  /** The hot path: the token is verified already. From the cache: no database read, no AWS call; otherwise one of each for a linked user. */
  async credentials(caller: VerifiedUser, idToken: string): Promise<CredentialsResponseDto> {
    const [{ identityId, credentials }, mqtt] = await Promise.all([
      this.vendCached({ username: caller.username, sub: caller.sub, issuedAt: caller.issuedAt ?? 0 }, idToken),
      this.mqtt.forUser(caller.username),
    ]);
    return { identityId, credentials: withRefreshAfter(credentials), mqtt };
  }

  /** `row`: the user's session row when the sign-in's success statement read it already. */
  private async complete(outcome: AuthOutcome, row?: SessionUser | null): Promise<SessionDto | NewPasswordChallengeDto> {
    if (outcome.kind === 'challenge') return { challenge: outcome.challenge, session: outcome.session };
    return this.session(outcome.tokens, row);
  }

  private async session(tokens: CognitoTokens, row?: SessionUser | null): Promise<SessionDto> {
    const { username, sub } = identityOfIssuedToken(tokens.idToken);
    // A sign-in reads the row whether or not credentials are cached, and uses them only for the identity the row names.
    const user = usableUser(row === undefined ? await this.users.findForSession(username) : row, sub);
    const owner = { username, sub, identityId: user.identityId && user.policyAttachedAt ? user.identityId : null };
    const [{ identityId, credentials }, mqtt] = await Promise.all([this.vendCached(owner, tokens.idToken), this.mqtt.forUser(username)]);
    return { tokens, identityId, credentials: withRefreshAfter(credentials), mqtt };
  }

  /**
   * Cached credentials, or new ones for the user's row as read inside the cache's load: a disable
   * or delete that forgets the user meanwhile makes the cache drop what that load returns.
   */
  private vendCached(owner: CredentialOwner, idToken: string): Promise<VendedCredentials> {
    return this.cache.get(owner, async () => {
      const user = usableUser(await this.users.findForSession(owner.username), owner.sub);
      // Before any AWS call: the identity pool would refuse the old token too, after a GetCredentialsForIdentity.
      refuseTokenIssuedBefore(user.tokensValidAfter, owner.issuedAt);
      return { ...(await this.vendor.vend(user, idToken)), tokensValidAfter: user.tokensValidAfter };
    });
  }
}

/**
 * Whose session row a password sign-in reads next: the user its ID token names (a challenge has
 * none yet). A token without one reads nothing here: the session refuses it, as for a refresh.
 */
function usernameOfTokens(outcome: AuthOutcome): string | undefined {
  if (outcome.kind !== 'tokens') return undefined;
  try {
    return identityOfIssuedToken(outcome.tokens.idToken).username;
  } catch {
    return undefined;
  }
}
