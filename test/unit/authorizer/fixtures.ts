import { readFileSync } from 'node:fs';
import type { IoTCustomAuthorizerEvent } from 'aws-lambda';

export type AuthorizerFixture = 'mqtt-over-websocket' | 'mqtt-username-password';

/**
 * A custom authorizer request in the shape AWS IoT sends (test/fixtures/authorizer), with the
 * token placeholders filled in: {{TOKEN}} as is, {{TOKEN_BASE64}} as the MQTT password AWS
 * base64-encodes.
 */
export function authorizerRequest(fixture: AuthorizerFixture, token: string): IoTCustomAuthorizerEvent {
  const text = readFileSync(new URL(`../../fixtures/authorizer/${fixture}.json`, import.meta.url), 'utf8');
  const filled = text.replaceAll('{{TOKEN_BASE64}}', Buffer.from(token, 'utf8').toString('base64')).replaceAll('{{TOKEN}}', token);
  return JSON.parse(filled) as IoTCustomAuthorizerEvent;
}
