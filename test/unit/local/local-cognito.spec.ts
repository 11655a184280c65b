import { beforeEach, describe, expect, it } from 'vitest';
import type { AuthOutcome, CognitoTokens } from '../../../src/aws/user-pool.port.js';
import { FakeAws } from '../../fakes/fake-aws.js';

function tokensOf(outcome: AuthOutcome): CognitoTokens {
  if (outcome.kind !== 'tokens') throw new Error(`expected tokens, got ${outcome.kind}`);
  return outcome.tokens;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The local user pool and identity pool together, as both the sandbox and the tests wire them. */
describe('local Cognito', () => {
  let now: number;
  let aws: FakeAws;
  beforeEach(() => {
    now = Date.parse('2026-11-22T10:00:00Z');
    aws = new FakeAws({ clock: () => now });
  });

  async function confirmedUser(username: string): Promise<CognitoTokens> {
    await aws.userPool.createUser({ username, temporaryPassword: 'Temp-Passw0rd', sendInvite: false });
    const challenge = await aws.userPool.signIn(username, 'Temp-Passw0rd');
    if (challenge.kind !== 'challenge') throw new Error('expected NEW_PASSWORD_REQUIRED');
    return tokensOf(await aws.userPool.completeNewPassword(username, challenge.session, 'Final-Passw0rd'));
  }

  it('asks for a new password first, then signs in with it only, keeping no clear password', async () => {
    const tokens = await confirmedUser('alice');
    expect(claimsOf(tokens.idToken)).toMatchObject({ token_use: 'id', 'cognito:username': 'alice', aud: aws.clientId });
    await expect(aws.userPool.signIn('alice', 'Temp-Passw0rd')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(tokensOf(await aws.userPool.signIn('alice', 'Final-Passw0rd')).refreshToken).toEqual(expect.any(String));
    const saved = JSON.stringify(aws.userPool.toData());
    expect(saved).not.toContain('Final-Passw0rd');
    expect(saved).not.toContain('Temp-Passw0rd');
    expect(saved).toContain('scrypt$');
  });

  it('refuses a disabled user as Cognito does, with the right password too', async () => {
    const tokens = await confirmedUser('bob');
    await aws.userPool.disableUser('bob');
    await expect(aws.userPool.signIn('bob', 'Final-Passw0rd')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'USER_DISABLED', awsError: 'NotAuthorizedException' },
    });
    await expect(aws.userPool.refresh('bob', tokens.refreshToken!)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await aws.userPool.enableUser('bob');
    expect(tokensOf(await aws.userPool.refresh('bob', tokens.refreshToken!)).idToken).toEqual(expect.any(String));
  });

  it('revokes refresh tokens on global sign-out, and the identity pool then refuses the old ID token', async () => {
    const tokens = await confirmedUser('carol');
    const identityId = await aws.identityPool.getIdentityId(tokens.idToken);
    await aws.identityPool.getCredentials(identityId, tokens.idToken);

    // An ID token from the app's own Cognito sign-in, the same second as the sign-out: revoked as well.
    const ownSignIn = aws.tokens.idToken({ sub: aws.userPool.user('carol')!.sub, username: 'carol' });
    await aws.userPool.signOutEverywhere('carol');
    await expect(aws.userPool.refresh('carol', tokens.refreshToken!)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(aws.identityPool.getCredentials(identityId, ownSignIn)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'SIGN_IN_AGAIN' },
    });
    await expect(aws.identityPool.getCredentials(identityId, tokens.idToken)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { awsError: 'NotAuthorizedException' },
    });
    await expect(aws.identityPool.getIdentityId(tokens.idToken)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    // A new sign-in, in the same second, gets credentials again; the identity id is the same.
    const fresh = tokensOf(await aws.userPool.signIn('carol', 'Final-Passw0rd'));
    expect(await aws.identityPool.getIdentityId(fresh.idToken)).toBe(identityId);
    expect((await aws.identityPool.getCredentials(identityId, fresh.idToken)).accessKeyId).toMatch(/^ASIA/);
  });

  it("refuses a deleted user's ID tokens, including ones the app minted before the deletion", async () => {
    const tokens = await confirmedUser('dave');
    const sub = aws.userPool.user('dave')!.sub;
    const identityId = await aws.identityPool.getIdentityId(tokens.idToken);
    now += 5000;
    const ownSignIn = aws.tokens.idToken({ sub, username: 'dave' });
    now += 5000;
    await aws.userPool.deleteUser('dave');
    await expect(aws.identityPool.getCredentials(identityId, tokens.idToken)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(aws.identityPool.getCredentials(identityId, ownSignIn)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('remembers vended credentials until they expire, and forgets them with the identity', async () => {
    const tokens = await confirmedUser('erin');
    const identityId = await aws.identityPool.getIdentityId(tokens.idToken);
    const vended = await aws.identityPool.getCredentials(identityId, tokens.idToken);
    expect(vended.expiration.getTime() - now).toBe(3600_000);
    expect(aws.identityPool.credentials(vended.accessKeyId)).toMatchObject({
      secretAccessKey: vended.secretAccessKey,
      sessionToken: vended.sessionToken,
      identityId,
    });
    expect(aws.identityPool.credentials('ASIANOTVENDED0000000')).toBeUndefined();
    now += 3600_000;
    expect(aws.identityPool.credentials(vended.accessKeyId)).toBeUndefined();
    now -= 1000;
    await aws.identityPool.deleteIdentity(identityId);
    expect(aws.identityPool.credentials(vended.accessKeyId)).toBeUndefined();
  });
});
