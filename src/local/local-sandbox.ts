import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { IdentityPoolData } from './local-identity-pool.js';
import { LocalIdentityPool } from './local-identity-pool.js';
import { LocalIot } from './local-iot.js';
import { LocalRuntime } from './local-runtime.js';
import { LocalUserPool, type UserPoolData } from './local-user-pool.js';
import type { IotStateData } from './iot-state.js';
import { StateFile } from './state-file.js';
import { CognitoTokenIssuer } from './token-issuer.js';
import { CertificateAuthority, type CertificateAuthorityState } from './x509.js';

export interface SandboxOptions {
  stateDir: string;
  region: string;
  accountId: string;
  userPoolId: string;
  clientId: string;
  identityPoolId: string;
  /** The `iss` of the tokens; the JWKS is served at `<issuer>/.well-known/jwks.json`. */
  issuer: string;
  /** What DescribeEndpoint answers: the local broker's host. */
  endpoint: string;
  clock?: () => number;
}

/** Everything the sandbox remembers, as written to `<stateDir>/state.json`. */
export interface SandboxStateData {
  version: 1;
  account: { region: string; accountId: string; userPoolId: string; clientId: string; identityPoolId: string };
  ca: CertificateAuthorityState;
  tokenSigningKey: { kid: string; privateKeyPem: string };
  iot: IotStateData;
  userPool: UserPoolData;
  identityPool: IdentityPoolData;
}

/** Listed pages as AWS serves them at most. */
const PAGE_SIZE = 250;

/**
 * The local IoT Core's state: one account with its user pool, identity pool and IoT registry, the
 * CA that signs device and broker certificates, and the key that signs Cognito tokens.
 *
 * Every call that changes something is written to disk before the caller hears back (StateFile:
 * temp file, fsync, rename). The service records an AWS outcome in its database only after the
 * call returned, so the database never names a thing, certificate, policy or user the sandbox has
 * not written down; a crash in between leaves the sandbox ahead of the database, which is what
 * happens with AWS too, and the operation recovery and drift repair handle it the same way.
 * Writing the whole state per call costs a few milliseconds, nothing next to a sandbox's load.
 */
export class LocalSandbox {
  readonly runtime: LocalRuntime;
  readonly iot: LocalIot;
  readonly userPool: LocalUserPool;
  readonly identityPool: LocalIdentityPool;
  readonly ca: CertificateAuthority;
  readonly tokens: CognitoTokenIssuer;
  readonly file: StateFile<SandboxStateData>;
  private readonly account: SandboxStateData['account'];
  private readonly tokenSigningKey: SandboxStateData['tokenSigningKey'];

  private constructor(options: SandboxOptions, saved: SandboxStateData | undefined, file: StateFile<SandboxStateData>) {
    this.file = file;
    this.account = {
      region: options.region,
      accountId: options.accountId,
      userPoolId: options.userPoolId,
      clientId: options.clientId,
      identityPoolId: options.identityPoolId,
    };
    if (saved && JSON.stringify(saved.account) !== JSON.stringify(this.account)) {
      throw new Error(
        `the local IoT Core state in ${file.path} belongs to ${JSON.stringify(saved.account)}, not ${JSON.stringify(this.account)}: ` +
          'set AWS_REGION / AWS_ACCOUNT_ID back, or reset the local state (npm run reset:local)',
      );
    }
    const clock = options.clock ?? Date.now;
    this.runtime = new LocalRuntime({ record: false, clock });
    this.ca = saved ? CertificateAuthority.restore(saved.ca) : CertificateAuthority.create(new Date(clock()));
    this.tokenSigningKey = saved?.tokenSigningKey ?? {
      kid: `local-${randomUUID()}`,
      privateKeyPem: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    const privateKey = createPrivateKey(this.tokenSigningKey.privateKeyPem);
    this.tokens = new CognitoTokenIssuer({
      issuer: options.issuer,
      clientId: options.clientId,
      kid: this.tokenSigningKey.kid,
      keys: { privateKey, publicKey: createPublicKey(privateKey) },
      clock,
    });
    const shared = { runtime: this.runtime, region: options.region, accountId: options.accountId };
    this.iot = new LocalIot({ ...shared, ca: this.ca, endpoint: options.endpoint, pageSize: PAGE_SIZE });
    this.userPool = new LocalUserPool({ ...shared, tokens: this.tokens, userPoolId: options.userPoolId });
    this.identityPool = new LocalIdentityPool({
      ...shared,
      identityPoolId: options.identityPoolId,
      userPoolId: options.userPoolId,
      isRevoked: (claims) => this.userPool.isRevoked(claims),
    });
    if (saved) {
      this.iot.state.load(saved.iot);
      this.userPool.load(saved.userPool);
      this.identityPool.load(saved.identityPool);
    }
    this.runtime.onChange = () => this.save();
  }

  /** Reads the state in options.stateDir, or starts a new one (new CA, new signing key) and writes it. */
  static open(options: SandboxOptions): LocalSandbox {
    const file = new StateFile<SandboxStateData>(options.stateDir);
    const saved = file.read();
    const sandbox = new LocalSandbox(options, saved, file);
    if (!saved) sandbox.save();
    return sandbox;
  }

  /** Writes the whole state; the runtime calls it after every change. */
  save(): void {
    this.file.write(this.toData());
  }

  toData(): SandboxStateData {
    return {
      version: 1,
      account: this.account,
      ca: this.ca.toState(),
      tokenSigningKey: this.tokenSigningKey,
      iot: this.iot.state.toData(),
      userPool: this.userPool.toData(),
      identityPool: this.identityPool.toData(),
    };
  }
}
