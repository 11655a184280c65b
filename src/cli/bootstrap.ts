/**
 * `npm run bootstrap`: finds or creates the Cognito user pool, app client and identity pool in the
 * configured AWS (AWS_REGION, optional AWS_ENDPOINT_URL), prints the variables the service needs
 * and the IAM policies for the identity pool's authenticated role. Re-running it creates nothing.
 *   --write-env <path>      also write the variables as KEY=value lines (for a container to source)
 *   --emulator-base <url>   an emulator's base URL serving <poolId>/.well-known/jwks.json (moto: http://aws:5000)
 */
import { writeFile } from 'node:fs/promises';
import { IdentityPoolAdapter } from '../aws/identity-pool.adapter.js';
import { QuotaLimiter } from '../aws/quota-limiter.js';
import { UserPoolAdapter } from '../aws/user-pool.adapter.js';
import { loadConfig } from '../config/app-config.js';
import { authenticatedRolePolicy, authenticatedRoleTrustPolicy } from '../policy/iam.js';
import { CognitoBootstrap, bootstrapNames, optionValue, renderEnvFile, serviceSettings } from './cognito-bootstrap.js';

const print = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const envFile = optionValue(args, '--write-env');
  const jwksBase = emulatorBase(optionValue(args, '--emulator-base'));
  const config = loadConfig(process.env);
  const region = config.aws.region;
  if (!region) throw new Error('AWS_REGION must be set');

  const limiter = new QuotaLimiter(config);
  const userPool = new UserPoolAdapter(config, limiter);
  const identityPool = new IdentityPoolAdapter(config, limiter);
  const result = await new CognitoBootstrap(userPool, identityPool, bootstrapNames(config.resourcePrefix)).ensure().finally(() => {
    userPool.onModuleDestroy();
    identityPool.onModuleDestroy();
  });

  print(result.created.length > 0 ? `created: ${result.created.join(', ')}` : 'everything already existed; nothing created');
  const settings = renderEnvFile(serviceSettings(result, region, jwksBase));
  print(`\nSet these variables for the service:\n${settings}`);
  if (envFile) {
    await writeFile(envFile, settings, { mode: 0o644 });
    print(`wrote ${envFile}`);
  }

  const accountId = config.aws.accountId ?? result.userPoolArn.split(':')[4] ?? '<account-id>';
  print('\nGive the identity pool an authenticated role with this permissions policy (never a managed full-access policy):');
  print(JSON.stringify(authenticatedRolePolicy({ region, accountId }), null, 2));
  print('\nand this trust policy:');
  print(JSON.stringify(authenticatedRoleTrustPolicy(result.identityPoolId), null, 2));
  print(`\nthen: aws cognito-identity set-identity-pool-roles --identity-pool-id ${result.identityPoolId} --roles authenticated=<role-arn>`);
}

function emulatorBase(value: string | undefined): string | undefined {
  if (value !== undefined && !/^https?:\/\/[^\s/]+$/.test(value)) throw new Error('--emulator-base must be a base URL such as http://aws:5000');
  return value;
}

main().catch((error: unknown) => {
  process.stderr.write(`bootstrap failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
