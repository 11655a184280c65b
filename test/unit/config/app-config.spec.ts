import { describe, expect, it } from 'vitest';
import { loadConfig, missingAwsSettings } from '../../../src/config/app-config.js';
import { ConfigError } from '../../../src/config/env-parsers.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('config', () => {
  it('boots with sensible defaults and no environment at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, logLevel: 'info', resourcePrefix: 'iotp', admin: { group: 'admins' } });
    expect(config.database.url).toBeUndefined();
    expect(config.credentialCache.enabled).toBe(true);
    expect(config.operations).toMatchObject({ retainCompletedDays: 30, retainFailedDays: 180 });
    expect(Object.isFrozen(config.aws)).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT must be an integer/],
    [{ PORT: '70000' }, /^PORT must be an integer from 0 to 65535/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be a postgres: or postgresql: URL/],
    [{ AWS_REGION: 'Mars' }, /^AWS_REGION must be a region/],
    [{ AWS_ENDPOINT_URL: 'not a url' }, /^AWS_ENDPOINT_URL must be a valid URL/],
    [{ COGNITO_USER_POOL_ID: 'nope' }, /^COGNITO_USER_POOL_ID must look like/],
    [{ RESOURCE_PREFIX: 'Has_Underscore' }, /^RESOURCE_PREFIX must be 1-16 lowercase/],
    [{ ADMIN_API_KEYS: 'short' }, /^ADMIN_API_KEYS entries must be at least 24 characters/],
    [{ CORS_ORIGINS: 'https://ok.example.com,*' }, /^CORS_ORIGINS entries must be origins/],
    [{ CREDENTIAL_CACHE_ENABLED: 'maybe' }, /^CREDENTIAL_CACHE_ENABLED must be true or false/],
    [{ AWS_QUOTAS: 'CreateThing=fast' }, /^AWS_QUOTAS entries must look like Name=number/],
    [{ AUTHORIZER_SECRET: 'too-short' }, /^AUTHORIZER_SECRET must be at least 32 characters/],
    [{ LOCAL_MQTT_PORT: '70000' }, /^LOCAL_MQTT_PORT must be an integer from 0 to 65535/],
    [{ LOCAL_MQTT_HOST: 'not a host' }, /^LOCAL_MQTT_HOST must be an address or host name/],
    [{ OPERATIONS_RETAIN_COMPLETED_DAYS: '0' }, /^OPERATIONS_RETAIN_COMPLETED_DAYS must be an integer from 1 to 3650/],
    [{ OPERATIONS_RETAIN_FAILED_DAYS: '1.5' }, /^OPERATIONS_RETAIN_FAILED_DAYS must be an integer from 1 to 3650/],
  ])('stops boot naming the variable for %o', (env, message) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('places the local MQTT broker on 127.0.0.1 by default, with ports from the environment (0 = any free port)', () => {
    expect(loadConfig({}).localMqtt).toEqual({ host: '127.0.0.1', mqttsPort: 8883, wsPort: 8080, wssPort: 8443 });
    expect(loadConfig({ LOCAL_MQTT_HOST: '0.0.0.0', LOCAL_MQTT_PORT: '0', LOCAL_MQTT_WS_PORT: '9001', LOCAL_MQTT_WSS_PORT: '0' }).localMqtt).toEqual({
      host: '0.0.0.0',
      mqttsPort: 0,
      wsPort: 9001,
      wssPort: 0,
    });
  });

  it('reports every malformed variable at once', () => {
    expect(problemsOf({ PORT: 'x', LOG_LEVEL: 'y', AWS_REGION: 'z' })).toHaveLength(3);
  });

  it('does not stop boot for missing AWS settings, but lists them', () => {
    expect(missingAwsSettings(loadConfig({ AWS_MODE: 'aws' }))).toEqual([
      'AWS_REGION',
      'COGNITO_USER_POOL_ID',
      'COGNITO_CLIENT_ID',
      'COGNITO_IDENTITY_POOL_ID',
    ]);
    expect(
      missingAwsSettings(
        loadConfig({
          AWS_REGION: 'eu-west-1',
          COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
          COGNITO_CLIENT_ID: 'abc123',
          COGNITO_IDENTITY_POOL_ID: 'eu-west-1:11111111-2222-3333-4444-555555555555',
        }),
      ),
    ).toEqual([]);
  });

  it('trusts no proxy by default, and the listed proxies when told', () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5' }).http.trustProxy).toEqual(['10.0.0.0/8', '192.168.1.5']);
    expect(problemsOf({ TRUST_PROXY: 'true' })[0]).toMatch(/^TRUST_PROXY must be false or proxy addresses/);
  });

  it('parses lists and per-API quota overrides', () => {
    const config = loadConfig({
      ADMIN_API_KEYS: 'a'.repeat(24) + ', ' + 'b'.repeat(30),
      AWS_QUOTAS: 'CreateThing=50, GetId=100',
      REPLICAS: '3',
    });
    expect(config.admin.apiKeys).toEqual(['a'.repeat(24), 'b'.repeat(30)]);
    expect(config.aws.quotaOverrides).toEqual({ CreateThing: 50, GetId: 100 });
    expect(config.aws.replicas).toBe(3);
  });
});

describe('.env.example', () => {
  it('documents every variable the config reads, and nothing it does not', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync('src/config/app-config.ts', 'utf8');
    const read = new Set([...source.matchAll(/read\.\w+\('([A-Z0-9_]+)'/g)].map((match) => match[1]));
    const documented = new Set([...readFileSync('.env.example', 'utf8').matchAll(/^([A-Z0-9_]+)=/gm)].map((match) => match[1]));
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !read.has(name))).toEqual([]);
  });
});
