import { loadConfig, type AppConfig } from '../../../src/config/app-config.js';

/** Settings under which every AWS adapter considers itself configured. */
export const AWS_ENV = {
  AWS_REGION: 'eu-west-1',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
  COGNITO_CLIENT_ID: 'client123',
  COGNITO_IDENTITY_POOL_ID: 'eu-west-1:1234abcd-0000-4000-8000-00000000abcd',
};

export function awsConfig(extra: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...AWS_ENV, ...extra });
}

/** An error shaped like the SDK's service exceptions. */
export function awsFailure(name: string, message = 'aws says no'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}
