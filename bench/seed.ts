import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FakeAws } from '../test/fakes/fake-aws.js';
import type { TokenClaims, TokenIssuer } from '../test/fakes/fake-user-pool.js';
import type { TestTokenIssuer } from '../test/support/token-issuer.js';

export interface SeededUser {
  username: string;
  password: string;
  /** A valid ID token of the user, for the bearer scenarios. */
  idToken: string;
}

const PASSWORD = 'Bench-Passw0rd!';
const CONCURRENCY = 16;

/**
 * Signs each user's tokens once and hands out the same ones afterwards. The fake user pool signs
 * two RS256 JWTs per sign-in in the service's own process; Cognito does that work on its side, so
 * the bench must not bill it to the service. Tokens live an hour, longer than any run.
 */
export class ReusedTokens implements TokenIssuer {
  private readonly ids = new Map<string, string>();
  private readonly accesses = new Map<string, string>();

  constructor(readonly issuer: TestTokenIssuer) {}

  idToken(claims: TokenClaims): string {
    return remember(this.ids, claims.sub, () => this.issuer.idToken(claims));
  }

  accessToken(claims: TokenClaims): string {
    return remember(this.accesses, claims.sub, () => this.issuer.accessToken(claims));
  }
}

function remember(map: Map<string, string>, key: string, make: () => string): string {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

/**
 * Users made the way an admin makes them (POST /v1/users: Cognito user, IoT policy, row), then
 * given a permanent password in the fake pool as if they had answered NEW_PASSWORD_REQUIRED.
 * With `signIn` each also signs in once, so it has its identity and attached policy: a returning user.
 */
export async function seedUsers(
  app: NestFastifyApplication,
  aws: FakeAws,
  tokens: ReusedTokens,
  adminKey: string,
  options: { prefix: string; count: number; signIn: boolean },
): Promise<SeededUser[]> {
  const names = Array.from({ length: options.count }, (_, index) => `${options.prefix}${String(index).padStart(5, '0')}`);
  return inBatches(names, async (username) => {
    await expectStatus(
      app.inject({ method: 'POST', url: '/v1/users', headers: { 'x-api-key': adminKey }, payload: { username, temporaryPassword: PASSWORD } }),
      201,
      `create ${username}`,
    );
    const poolUser = aws.userPool.user(username)!;
    poolUser.status = 'CONFIRMED';
    poolUser.password = PASSWORD;
    if (options.signIn) {
      await expectStatus(app.inject({ method: 'POST', url: '/v1/sessions', payload: { username, password: PASSWORD } }), 200, `sign in ${username}`);
    }
    return { username, password: PASSWORD, idToken: tokens.idToken({ sub: poolUser.sub, username }) };
  });
}

async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

async function expectStatus(response: Promise<{ statusCode: number; body: string }>, status: number, what: string): Promise<void> {
  const { statusCode, body } = await response;
  if (statusCode !== status) throw new Error(`seeding: ${what} answered ${statusCode}: ${body.slice(0, 300)}`);
}
