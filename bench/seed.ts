import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AwsScope } from '../src/aws/aws-scope.service.js';
import { renderPolicy, userPolicyDocument } from '../src/policy/documents.js';
import { userPolicyName } from '../src/policy/names.js';
import { UsersRepository } from '../src/users/users.repository.js';
import type { FakeAws } from '../test/fakes/fake-aws.js';
import type { TokenClaims, TokenIssuer } from '../src/local/local-user-pool.js';
import type { TestTokenIssuer } from '../test/support/token-issuer.js';

export interface BenchUser {
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

  /** Signs both of a user's tokens during set-up, so no scenario pays for it; returns the ID token. */
  mint(claims: TokenClaims): string {
    this.accessToken(claims);
    return this.idToken(claims);
  }
}

function remember(map: Map<string, string>, key: string, make: () => string): string {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

const usernames = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(5, '0')}`);

/**
 * Users as an admin's POST /v1/users leaves them (pool user with a permanent password, IoT policy,
 * row) and, with `signedIn`, as their first sign-in leaves them too (Cognito identity, policy
 * attached to it, both recorded in the row). Written straight through the fakes and the users
 * repository: over HTTP a user costs some 25 queries to create and sign in, which would make the
 * set-up the longest part of a quick run. No credentials are cached yet.
 */
export async function seedUsers(
  app: NestFastifyApplication,
  aws: FakeAws,
  tokens: ReusedTokens,
  resourcePrefix: string,
  options: { prefix: string; count: number; signedIn: boolean },
): Promise<BenchUser[]> {
  const users = app.get(UsersRepository);
  const scope = await app.get(AwsScope).policyScope();
  return inBatches(usernames(options.prefix, options.count), async (username) => {
    const poolUser = aws.userPool.seedUser({ username, password: PASSWORD });
    const policyName = userPolicyName(resourcePrefix, username);
    await aws.iot.createPolicy(policyName, renderPolicy(userPolicyDocument(scope, username)));
    const row = await users.create({ username, cognitoSub: poolUser.sub, policyName });
    const idToken = tokens.mint({ sub: poolUser.sub, username });
    if (options.signedIn) {
      const identityId = await users.recordIdentity(row.id, await aws.identityPool.getIdentityId(idToken));
      await aws.iot.attachPolicy(policyName, identityId);
      await users.markPolicyAttached(row.id);
    }
    return { username, password: PASSWORD, idToken };
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
