import { describe, expect, it } from 'vitest';
import { loadLambdaConfig } from '../../../src/authorizer/lambda-config.js';
import { ConfigError } from '../../../src/config/env-parsers.js';

const ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCOUNT_ID: '123456789012',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
  COGNITO_CLIENT_ID: 'client123',
  AUTHORIZER_SECRET: 's'.repeat(32),
  AUTHORIZER_SERVICE_URL: 'https://iot-provisioner.internal.example.com',
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadLambdaConfig(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe('loadLambdaConfig', () => {
  it('reads the secret and the service URL', () => {
    const config = loadLambdaConfig(ENV);
    expect(config.serviceUrl).toBe(ENV.AUTHORIZER_SERVICE_URL);
    expect(config.secret).toBe(ENV.AUTHORIZER_SECRET);
  });

  it('needs no account id: the service answers the policy documents', () => {
    expect(problems({ ...ENV, AWS_ACCOUNT_ID: undefined })).toEqual([]);
  });

  it('names every missing setting, since the Lambda cannot work without any of them', () => {
    expect(problems({ AWS_REGION: 'eu-west-1' })).toEqual([
      'COGNITO_CLIENT_ID must be set for the authorizer Lambda',
      'COGNITO_USER_POOL_ID must be set for the authorizer Lambda',
      'AUTHORIZER_SECRET must be set for the authorizer Lambda',
      'AUTHORIZER_SERVICE_URL must be set for the authorizer Lambda',
    ]);
  });

  it('refuses to send the secret over plain http except on loopback', () => {
    expect(problems({ ...ENV, AUTHORIZER_SERVICE_URL: 'http://iot-provisioner.internal.example.com' })).toEqual([
      expect.stringContaining('AUTHORIZER_SERVICE_URL must be https:'),
    ]);
    expect(problems({ ...ENV, AUTHORIZER_SERVICE_URL: 'http://127.0.0.1:3000' })).toEqual([]);
  });

  it('reports malformed values through the service config rules', () => {
    expect(problems({ ...ENV, AUTHORIZER_SECRET: 'short' })).toEqual([expect.stringContaining('AUTHORIZER_SECRET')]);
  });
});
