import type { IdentityPoolPort } from '../aws/identity-pool.port.js';
import type { UserPoolPort } from '../aws/user-pool.port.js';

/** The names bootstrap looks for and creates, derived from RESOURCE_PREFIX so several installations can share an account. */
export interface BootstrapNames {
  userPool: string;
  appClient: string;
  identityPool: string;
}

export function bootstrapNames(resourcePrefix: string): BootstrapNames {
  return { userPool: `${resourcePrefix}-users`, appClient: `${resourcePrefix}-app`, identityPool: `${resourcePrefix}-identities` };
}

export interface BootstrapResult {
  userPoolId: string;
  userPoolArn: string;
  clientId: string;
  identityPoolId: string;
  /** What this run created, e.g. "user pool iotp-users"; empty when everything existed. */
  created: string[];
}

/**
 * Finds or creates, by name, the user pool, its app client and the identity pool trusting it.
 * Running it again creates nothing: each piece is looked up before it is created.
 */
export class CognitoBootstrap {
  constructor(
    private readonly userPool: UserPoolPort,
    private readonly identityPool: IdentityPoolPort,
    private readonly names: BootstrapNames,
  ) {}

  async ensure(): Promise<BootstrapResult> {
    const created: string[] = [];
    const { userPool, appClient, identityPool } = this.names;

    let pool = await this.userPool.findUserPool(userPool);
    if (!pool) {
      pool = await this.userPool.createUserPool(userPool);
      created.push(`user pool ${userPool}`);
    }
    let clientId = await this.userPool.findAppClient(pool.userPoolId, appClient);
    if (!clientId) {
      clientId = await this.userPool.createAppClient(pool.userPoolId, appClient);
      created.push(`app client ${appClient}`);
    }
    let identityPoolId = await this.identityPool.findIdentityPool(identityPool);
    if (!identityPoolId) {
      identityPoolId = await this.identityPool.createIdentityPool({ name: identityPool, userPoolId: pool.userPoolId, clientId });
      created.push(`identity pool ${identityPool}`);
    }
    return { userPoolId: pool.userPoolId, userPoolArn: pool.arn, clientId, identityPoolId, created };
  }
}

/**
 * The variables the service needs. `jwksBase` is set for an emulator: moto serves a pool's keys
 * at `<base>/<poolId>/.well-known/jwks.json` but signs tokens with AWS's issuer URL, so the
 * issuer stays AWS's and only the JWKS location moves.
 */
export function serviceSettings(result: BootstrapResult, region: string, jwksBase?: string): Record<string, string> {
  const settings: Record<string, string> = {
    COGNITO_USER_POOL_ID: result.userPoolId,
    COGNITO_CLIENT_ID: result.clientId,
    COGNITO_IDENTITY_POOL_ID: result.identityPoolId,
  };
  if (jwksBase) {
    settings.COGNITO_ISSUER = `https://cognito-idp.${region}.amazonaws.com/${result.userPoolId}`;
    settings.COGNITO_JWKS_URI = `${jwksBase.replace(/\/+$/, '')}/${result.userPoolId}/.well-known/jwks.json`;
  }
  return settings;
}

/** KEY=value lines; the values (ids and URLs) need no quoting, so `set -a; . file` and dotenv both read them. */
export function renderEnvFile(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}

/**
 * The value after a command-line option, if given. (Not `--env-file`: Node 20 takes a script argument of
 * that name for its own and exits when the file does not exist yet, nodejs/node#54232.)
 */
export function optionValue(args: string[], option: string): string | undefined {
  const index = args.indexOf(option);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (!value || value.startsWith('--')) throw new Error(`${option} needs a value`);
  return value;
}
