import { DomainError } from '../common/errors/domain-error.js';

/**
 * Who an ID token that Cognito has just returned to this service names. The token came over TLS
 * from Cognito in answer to the service's own call, so its signature needs no check here. The
 * username a caller typed is not trusted for this: Cognito may match it case-insensitively, and
 * REFRESH_TOKEN_AUTH identifies the user by the refresh token alone.
 */
export function identityOfIssuedToken(idToken: string): { username: string; sub: string } {
  let claims: Record<string, unknown> = {};
  try {
    claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    // reported below, as for a token without the claims
  }
  const username = claims['cognito:username'];
  if (typeof username !== 'string' || typeof claims.sub !== 'string') {
    throw new DomainError('AWS_UNAVAILABLE', 'Cognito returned an ID token without cognito:username and sub');
  }
  return { username, sub: claims.sub };
}
