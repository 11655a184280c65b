import type { Provider } from '@nestjs/common';
import { IdentityPoolPort } from '../../src/aws/identity-pool.port.js';
import { IotConnectionsPort } from '../../src/aws/iot-connections.port.js';
import { IotPort } from '../../src/aws/iot.port.js';
import { UserPoolPort } from '../../src/aws/user-pool.port.js';
import { TestTokenIssuer } from '../support/token-issuer.js';
import { FakeIotConnections } from './fake-iot-connections.js';
import { LocalIdentityPool } from '../../src/local/local-identity-pool.js';
import { LocalIot } from '../../src/local/local-iot.js';
import type { IotSnapshot } from '../../src/local/iot-state.js';
import { LocalRuntime, type CallHook, type RecordedCall, type LocalRuntimeOptions, type FaultInjector } from '../../src/local/local-runtime.js';
import { LocalUserPool, type TokenIssuer } from '../../src/local/local-user-pool.js';
import { CognitoTokenIssuer } from '../../src/local/token-issuer.js';

export interface FakeAwsOptions extends LocalRuntimeOptions {
  region?: string;
  accountId?: string;
  userPoolId?: string;
  clientId?: string;
  identityPoolId?: string;
  /** Signs the pool's JWTs; default: a TestTokenIssuer with Cognito's issuer URL for the pool. */
  tokens?: TokenIssuer;
  /** Items per page for IoT list APIs; default 2. */
  pageSize?: number;
  /** Users per ListUsers page; default 2 (Cognito's largest page is 60). */
  userPageSize?: number;
  /** How long after a detach the fake IoT refuses DeletePolicy, as AWS does for up to five minutes; default 0. */
  policyDeleteDelayMs?: number;
  minPasswordLength?: number;
}

export interface FakeAwsSnapshot extends IotSnapshot {
  users: Array<{ username: string; sub: string; status: string; enabled: boolean; groups: string[] }>;
  identities: Array<{ identityId: string; sub: string }>;
}

/** Real scrypt hashing at a cost that keeps thousands of test sign-ins fast. */
const TEST_SCRYPT_COST = 16;

/**
 * The three local AWS services wired together with one call log, one fault injector and one clock:
 * what service and HTTP tests bind in place of the adapters.
 */
export class FakeAws {
  readonly runtime: LocalRuntime;
  readonly iot: LocalIot;
  /** The IoT data plane's DeleteConnection. */
  readonly connections: FakeIotConnections;
  readonly userPool: LocalUserPool;
  readonly identityPool: LocalIdentityPool;
  readonly tokens: TokenIssuer;
  readonly region: string;
  readonly accountId: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly identityPoolId: string;

  constructor(options: FakeAwsOptions = {}) {
    this.runtime = new LocalRuntime(options);
    this.region = options.region ?? 'eu-west-1';
    this.accountId = options.accountId ?? '123456789012';
    this.userPoolId = options.userPoolId ?? `${this.region}_FakePool1`;
    this.clientId = options.clientId ?? 'fakeclient1234567890';
    this.identityPoolId = options.identityPoolId ?? `${this.region}:00000000-0000-4000-8000-000000000001`;
    this.tokens =
      options.tokens ??
      new TestTokenIssuer({
        issuer: `https://cognito-idp.${this.region}.amazonaws.com/${this.userPoolId}`,
        clientId: this.clientId,
        clock: this.runtime.clock,
      });
    const shared = { runtime: this.runtime, region: this.region, accountId: this.accountId };
    this.iot = new LocalIot({ ...shared, pageSize: options.pageSize, policyDeleteDelayMs: options.policyDeleteDelayMs });
    this.connections = new FakeIotConnections(this.runtime);
    this.userPool = new LocalUserPool({
      ...shared,
      tokens: this.tokens,
      userPoolId: this.userPoolId,
      minPasswordLength: options.minPasswordLength,
      passwordHashCost: TEST_SCRYPT_COST,
      pageSize: options.userPageSize,
    });
    if (this.tokens instanceof CognitoTokenIssuer) this.tokens.onMint = (claims) => this.userPool.noteIssued(claims);
    this.identityPool = new LocalIdentityPool({
      ...shared,
      identityPoolId: this.identityPoolId,
      userPoolId: this.userPoolId,
      isRevoked: (claims) => this.userPool.isRevoked(claims),
    });
  }

  /** Every call so far, in order, as `{ api: 'CreateThing', input }`. */
  get calls(): readonly RecordedCall[] {
    return this.runtime.calls;
  }

  get faults(): FaultInjector {
    return this.runtime.faults;
  }

  get latencyMs(): number {
    return this.runtime.latencyMs;
  }

  set latencyMs(value: number) {
    this.runtime.latencyMs = value;
  }

  get enforceQuotas(): boolean {
    return this.runtime.enforceQuotas;
  }

  set enforceQuotas(value: boolean) {
    this.runtime.enforceQuotas = value;
  }

  countCalls(api?: string): number {
    return this.runtime.countCalls(api);
  }

  resetCalls(): void {
    this.runtime.resetCalls();
  }

  /** Runs fn before each call of api ('*' for every API); returns an unsubscribe function. */
  onCall(api: string, fn: CallHook): () => void {
    return this.runtime.onCall(api, fn);
  }

  /** Runs fn after each call of api took effect, before the caller hears back; returns an unsubscribe function. */
  onCallDone(api: string, fn: CallHook): () => void {
    return this.runtime.onCallDone(api, fn);
  }

  snapshot(): FakeAwsSnapshot {
    return { ...this.iot.snapshot(), users: this.userPool.snapshot(), identities: this.identityPool.snapshot() };
  }

  /** True when no thing, certificate, policy, attachment, principal link, user or identity remains. */
  isEmpty(): boolean {
    return Object.values(this.snapshot()).every((items: unknown[]) => items.length === 0);
  }

  /** Nest providers that replace the adapters: `Test.createTestingModule({ ... }).overrideProvider(IotPort).useValue(fake.iot)` or spread these. */
  providers(): Provider[] {
    return [
      { provide: IotPort, useValue: this.iot },
      { provide: IotConnectionsPort, useValue: this.connections },
      { provide: UserPoolPort, useValue: this.userPool },
      { provide: IdentityPoolPort, useValue: this.identityPool },
    ];
  }

  /** Environment for loadConfig() that matches the fake's region, account and pool ids. */
  env(): Record<string, string> {
    return {
      AWS_REGION: this.region,
      AWS_ACCOUNT_ID: this.accountId,
      COGNITO_USER_POOL_ID: this.userPoolId,
      COGNITO_CLIENT_ID: this.clientId,
      COGNITO_IDENTITY_POOL_ID: this.identityPoolId,
    };
  }
}
