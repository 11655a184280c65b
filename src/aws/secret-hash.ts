import { createHmac } from 'node:crypto';

/**
 * Cognito's SECRET_HASH for app clients that have a secret:
 * Base64(HMAC-SHA256(key = clientSecret, message = username + clientId)).
 */
export function cognitoSecretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret)
    .update(username + clientId)
    .digest('base64');
}
