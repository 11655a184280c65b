import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, missingAwsSettings } from '../../src/config/app-config.js';

interface ComposeService {
  environment?: Record<string, string>;
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

/** What `bootstrap --env-file` writes for the service to source: ids of the shape the emulator returns. */
const BOOTSTRAPPED = {
  COGNITO_USER_POOL_ID: 'eu-west-1_0123456789abcdef',
  COGNITO_CLIENT_ID: 'abcdefghij0123456789abcdef',
  COGNITO_IDENTITY_POOL_ID: 'eu-west-1:01234567-89ab-cdef-0123-456789abcdef',
  COGNITO_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_0123456789abcdef',
  COGNITO_JWKS_URI: 'http://aws:5000/eu-west-1_0123456789abcdef/.well-known/jwks.json',
};

describe('docker-compose.yml and Dockerfile', () => {
  it('runs the default service in local mode, with its state on a volume, though the image is a production one', () => {
    const service = compose.services.service;
    const config = loadConfig({ NODE_ENV: 'production', ...service.environment });
    expect(config.aws.mode).toBe('local');
    expect(missingAwsSettings(config)).toEqual([]);
    expect(config.database.url).toMatch(/@postgres:5432\//);
    expect(config.local.stateDir).toBe('/data/local-aws');
    expect(service.volumes).toContain('localaws:/data/local-aws');
    expect(config.admin.apiKeys.length).toBeGreaterThan(0);
    expect(service.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  it("gives the moto profile's service an environment that satisfies the config schema once bootstrapped", () => {
    const env = { NODE_ENV: 'production', ...compose.services['service-moto']!.environment, ...BOOTSTRAPPED };
    const config = loadConfig(env);
    expect(config.aws.mode).toBe('aws');
    expect(missingAwsSettings(config)).toEqual([]);
    expect(config.database.url).toMatch(/@postgres-moto:5432\//);
    expect(config.aws.endpointUrl).toBe('http://aws:5000');
    expect(config.admin.apiKeys.length).toBeGreaterThan(0);
  });

  it('points the bootstrap at the emulator and starts the moto service only after it and Postgres', () => {
    expect(compose.services.bootstrap!.environment).toMatchObject({ AWS_ENDPOINT_URL: 'http://aws:5000', AWS_REGION: 'eu-west-1' });
    expect(loadConfig(compose.services.bootstrap!.environment ?? {}).aws.endpointUrl).toBe('http://aws:5000');
    expect(compose.services['service-moto']!.depends_on).toMatchObject({
      'postgres-moto': { condition: 'service_healthy' },
      bootstrap: { condition: 'service_completed_successfully' },
    });
    expect(compose.services['service-moto']!.command?.join(' ')).toContain('/shared/aws.env');
  });

  it('runs as a non-root user, checks readiness, and migrates before starting', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/health\/ready/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/CMD .*migrate\.js.*main\.js/);
  });
});
