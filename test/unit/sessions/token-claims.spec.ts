import { describe, expect, it } from 'vitest';
import { identityOfIssuedToken } from '../../../src/sessions/token-claims.js';
import { TestTokenIssuer } from '../../support/token-issuer.js';

describe('identityOfIssuedToken', () => {
  const issuer = new TestTokenIssuer({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool1', clientId: 'client1' });

  it("reads Cognito's canonical username and sub, not what the caller typed", () => {
    expect(identityOfIssuedToken(issuer.idToken({ sub: 'sub-1', username: 'alice' }))).toEqual({ username: 'alice', sub: 'sub-1' });
  });

  it.each([
    ['an access token (no cognito:username)', issuer.accessToken({ sub: 'sub-1', username: 'alice' })],
    ['garbage', 'a.b.c'],
    ['an empty string', ''],
  ])('treats %s as an AWS fault', (_, token) => {
    expect(() => identityOfIssuedToken(token)).toThrow(expect.objectContaining({ code: 'AWS_UNAVAILABLE' }));
  });
});
