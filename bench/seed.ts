import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AwsScope } from '../src/aws/aws-scope.service.js';
import { renderPolicy, userPolicyDocument } from '../src/policy/documents.js';
import { userPolicyName } from '../src/policy/names.js';
import { UsersRepository } from '../src/users/users.repository.js';
import type { RemoteAws, SeededPoolUser } from './remote-aws.js';

export interface BenchUser {
  username: string;
  password: string;
  /** A valid ID token of the user, for the bearer scenarios. */
  idToken: string;
}

const PASSWORD = 'Bench-Passw0rd!';
const CHUNK = 200;

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
  aws: RemoteAws,
  resourcePrefix: string,
  options: { prefix: string; count: number; signedIn: boolean },
): Promise<BenchUser[]> {
  const users = app.get(UsersRepository);
  const scope = await app.get(AwsScope).policyScope();
  const all = usernames(options.prefix, options.count);
  const seeded: BenchUser[] = new Array(all.length);
  for (let from = 0; from < all.length; from += CHUNK) {
    const chunk = all.slice(from, from + CHUNK).map((username) => ({
      username,
      policyName: userPolicyName(resourcePrefix, username),
      document: renderPolicy(userPolicyDocument(scope, username)),
    }));
    const pool = await aws.fakes.call<SeededPoolUser[]>('seedPoolUsers', { users: chunk, password: PASSWORD, signedIn: options.signedIn });
    await Promise.all(
      pool.map(async ({ username, sub, idToken, identityId }, index) => {
        const row = await users.create({ username, cognitoSub: sub, policyName: chunk[index]!.policyName });
        if (identityId !== undefined) {
          await users.recordIdentity(row.id, identityId);
          await users.markPolicyAttached(row.id);
        }
        seeded[from + index] = { username, password: PASSWORD, idToken };
      }),
    );
  }
  return seeded;
}
