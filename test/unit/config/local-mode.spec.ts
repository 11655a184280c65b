import { describe, expect, it } from 'vitest';
import { LOCAL_DEFAULTS, loadConfig, missingAwsSettings } from '../../../src/config/app-config.js';
import { ConfigError } from '../../../src/config/env-parsers.js';

describe('AWS mode', () => {
  it('is local with no AWS settings outside production, with the sandbox ids and its own JWKS', () => {
    for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test', PORT: '3130' }]) {
      const config = loadConfig(env);
      expect(config.aws).toMatchObject({ mode: 'local', modeChosenBy: 'no AWS settings', region: 'us-east-1', accountId: '000000000000' });
      expect(missingAwsSettings(config)).toEqual([]);
      expect(config.cognito.jwksUri).toBe(`${config.cognito.issuer}/.well-known/jwks.json`);
      expect(config.cognito.issuer).toBe(`http://127.0.0.1:${config.port}/v1/local/cognito/us-east-1_LocalPool1`);
      expect(config.admin.apiKeys).toEqual([LOCAL_DEFAULTS.adminApiKey]);
      expect(config.iot.endpoint).toBe('127.0.0.1');
    }
  });

  it('stays aws in production without AWS settings: the 503 AWS_NOT_CONFIGURED path, no default admin key', () => {
    const config = loadConfig({ NODE_ENV: 'production' });
    expect(config.aws.mode).toBe('aws');
    expect(missingAwsSettings(config)).toEqual(['AWS_REGION', 'COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID', 'COGNITO_IDENTITY_POOL_ID']);
    expect(config.admin.apiKeys).toEqual([]);
  });

  it('is aws as soon as any AWS setting is given', () => {
    for (const env of [
      { AWS_REGION: 'eu-west-1' },
      { AWS_ENDPOINT_URL: 'http://aws:5000' },
      { COGNITO_USER_POOL_ID: 'eu-west-1_AbC123' },
      { IOT_ENDPOINT: 'x-ats.iot.eu-west-1.amazonaws.com' },
    ]) {
      expect(loadConfig(env).aws).toMatchObject({ mode: 'aws', modeChosenBy: 'AWS settings' });
    }
  });

  it('is local in production when AWS_MODE=local says so, without a default admin key', () => {
    const config = loadConfig({ NODE_ENV: 'production', AWS_MODE: 'local', AWS_REGION: 'eu-west-1', ADMIN_API_KEYS: 'k'.repeat(24) });
    expect(config.aws).toMatchObject({ mode: 'local', modeChosenBy: 'AWS_MODE', region: 'eu-west-1' });
    expect(config.cognito.userPoolId).toBe('eu-west-1_LocalPool1');
    expect(loadConfig({ NODE_ENV: 'production', AWS_MODE: 'local' }).admin.apiKeys).toEqual([]);
  });

  it('stops boot for an unknown mode, or for settings the local IoT Core owns', () => {
    expect(() => loadConfig({ AWS_MODE: 'moto' })).toThrow(/AWS_MODE must be one of/);
    try {
      loadConfig({ AWS_MODE: 'local', COGNITO_USER_POOL_ID: 'eu-west-1_AbC123' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual(['COGNITO_USER_POOL_ID cannot be set with AWS_MODE=local: the local IoT Core provides it']);
    }
  });
});
