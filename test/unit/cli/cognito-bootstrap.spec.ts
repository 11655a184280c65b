import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CognitoBootstrap,
  bootstrapNames,
  optionValue,
  renderEnvFile,
  serviceSettings,
  type BootstrapResult,
} from '../../../src/cli/cognito-bootstrap.js';
import { FakeAws } from '../../fakes/fake-aws.js';

function setup() {
  const aws = new FakeAws();
  return { aws, bootstrap: new CognitoBootstrap(aws.userPool, aws.identityPool, bootstrapNames('iotp')) };
}

describe('CognitoBootstrap', () => {
  it('creates the user pool, its app client and an identity pool trusting that client', async () => {
    const { aws, bootstrap } = setup();
    const result = await bootstrap.ensure();

    expect(result.created).toEqual(['user pool iotp-users', 'app client iotp-app', 'identity pool iotp-identities']);
    const [pool] = aws.userPool.createdPools();
    expect(pool).toMatchObject({
      name: 'iotp-users',
      userPoolId: result.userPoolId,
      arn: result.userPoolArn,
      clients: [{ clientId: result.clientId, name: 'iotp-app' }],
    });
    expect(aws.identityPool.createdPools()).toEqual([
      {
        identityPoolId: result.identityPoolId,
        name: 'iotp-identities',
        allowUnauthenticatedIdentities: false,
        providers: [
          { providerName: `cognito-idp.eu-west-1.amazonaws.com/${result.userPoolId}`, clientId: result.clientId, serverSideTokenCheck: true },
        ],
      },
    ]);
    expect(aws.calls.map((call) => call.api)).toEqual([
      'ListUserPools',
      'CreateUserPool',
      'ListUserPoolClients',
      'CreateUserPoolClient',
      'ListIdentityPools',
      'CreateIdentityPool',
    ]);
  });

  it('creates nothing when run again, answering the same ids', async () => {
    const { aws, bootstrap } = setup();
    const first = await bootstrap.ensure();
    aws.resetCalls();

    const second = await bootstrap.ensure();
    expect(second).toEqual({ ...first, created: [] });
    expect(aws.calls.map((call) => call.api)).toEqual(['ListUserPools', 'DescribeUserPool', 'ListUserPoolClients', 'ListIdentityPools']);
    expect(aws.userPool.createdPools()).toHaveLength(1);
    expect(aws.identityPool.createdPools()).toHaveLength(1);
  });

  it('completes a half-done earlier run: an existing pool gets the missing client and identity pool', async () => {
    const { aws, bootstrap } = setup();
    const pool = await aws.userPool.createUserPool('iotp-users');
    const result = await bootstrap.ensure();
    expect(result.userPoolId).toBe(pool.userPoolId);
    expect(result.created).toEqual(['app client iotp-app', 'identity pool iotp-identities']);
  });

  it('keeps installations with different prefixes apart', async () => {
    const { aws, bootstrap } = setup();
    const iotp = await bootstrap.ensure();
    const other = await new CognitoBootstrap(aws.userPool, aws.identityPool, bootstrapNames('staging')).ensure();
    expect(other.userPoolId).not.toBe(iotp.userPoolId);
    expect(aws.userPool.createdPools().map((pool) => pool.name)).toEqual(['iotp-users', 'staging-users']);
  });
});

describe('service settings', () => {
  const result: BootstrapResult = {
    userPoolId: 'eu-west-1_Abc123',
    userPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc123',
    clientId: 'client1',
    identityPoolId: 'eu-west-1:1234abcd-0000-4000-8000-00000000abcd',
    created: [],
  };

  it('names the three pool variables for real AWS', () => {
    expect(renderEnvFile(serviceSettings(result, 'eu-west-1'))).toBe(
      'COGNITO_USER_POOL_ID=eu-west-1_Abc123\nCOGNITO_CLIENT_ID=client1\nCOGNITO_IDENTITY_POOL_ID=eu-west-1:1234abcd-0000-4000-8000-00000000abcd\n',
    );
  });

  it("for an emulator, keeps AWS's issuer and points the JWKS at the emulator", () => {
    expect(serviceSettings(result, 'eu-west-1', 'http://aws:5000/')).toMatchObject({
      COGNITO_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123',
      COGNITO_JWKS_URI: 'http://aws:5000/eu-west-1_Abc123/.well-known/jwks.json',
    });
  });
});

describe('the bootstrap command line', () => {
  it('reads option values and refuses an option without one', () => {
    expect(optionValue([], '--write-env')).toBeUndefined();
    expect(optionValue(['--write-env', '/shared/aws.env'], '--write-env')).toBe('/shared/aws.env');
    expect(() => optionValue(['--write-env', '--emulator-base', 'x'], '--write-env')).toThrow('--write-env needs a value');
  });

  it('agrees with docker-compose.yml: the file the service sources and the JWKS base', () => {
    const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
      services: Record<string, { command: string[]; environment: Record<string, string> }>;
    };
    const { command, environment } = compose.services.bootstrap!;
    const args = command.slice(command.indexOf('dist/cli/bootstrap.js') + 1);
    const path = optionValue(args, '--write-env');
    expect(compose.services['service-moto']!.command.join(' ')).toContain(`. ${path} `);
    const settings = serviceSettings(
      { userPoolId: 'eu-west-1_Abc123', userPoolArn: '', clientId: 'c', identityPoolId: 'eu-west-1:1', created: [] },
      environment.AWS_REGION!,
      optionValue(args, '--emulator-base'),
    );
    expect(settings.COGNITO_JWKS_URI).toBe('http://aws:5000/eu-west-1_Abc123/.well-known/jwks.json');
  });
});
