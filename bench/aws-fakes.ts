import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { QuotaLimiter } from '../src/aws/quota-limiter.js';
import { isDomainError } from '../src/common/errors/domain-error.js';
import { loadConfig, type AppConfig } from '../src/config/app-config.js';
import type { IotState } from '../src/local/iot-state.js';
import type { TokenClaims, TokenIssuer } from '../src/local/local-user-pool.js';
import { FakeAws } from '../test/fakes/fake-aws.js';
import { JwksServer } from '../test/support/jwks-server.js';
import { TestTokenIssuer } from '../test/support/token-issuer.js';
import { cpuMicros, peakRssBytes, serveCommands } from './ipc.js';
import type { FleetDevice, FleetUser, PortCall, PortReply, SeededPoolUser } from './remote-aws.js';

/**
 * AWS, for the bench: the stateful fakes of src/local in a process of their own, a child of the
 * service under test (bench/server.ts), which reaches them over IPC through its ports. Their
 * state (a whole fleet's things, certificates, policies and users in the scale run), their
 * garbage and their CPU time (signing tokens, issuing certificates: AWS's work) are not the
 * service's. Announces the JWKS URL of the pool's signing key.
 */

/** The SDK's base retry delay. */
const SDK_RETRY_BASE_MS = 100;

/**
 * The app's QuotaLimiter, switched on only for scenarios that run under AWS's quotas, plus what the
 * adapters' SDK clients add inside each limiter slot and the fakes lack: a throttled call is
 * retried after a jittered exponential backoff, up to AWS_MAX_ATTEMPTS attempts (AwsRetryStrategy).
 * It waits here, in front of the fakes, rather than in the service: its queue costs time, not CPU.
 */
class SwitchableLimiter extends QuotaLimiter {
  enabled = false;
  /** Throttling answers the retries absorbed, by API; only those that ran out of attempts reach a client. */
  throttlesRetried = new Map<string, number>();

  constructor(private readonly appConfig: AppConfig) {
    super(appConfig);
  }

  override run<T>(api: string, call: () => Promise<T>): Promise<T> {
    return this.enabled ? super.run(api, () => this.withRetries(api, call)) : call();
  }

  private async withRetries<T>(api: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= this.appConfig.aws.maxAttempts || !isDomainError(error, 'AWS_THROTTLED')) throw error;
        this.throttlesRetried.set(api, (this.throttlesRetried.get(api) ?? 0) + 1);
        await sleep(Math.random() * SDK_RETRY_BASE_MS * 2 ** attempt);
      }
    }
  }
}

/** Folds the fakes' call log into counters (and empties it) so a long run does not grow it without bound. */
class CallCounter {
  private readonly window = new Map<string, number>();
  private readonly total = new Map<string, number>();

  constructor(private readonly aws: FakeAws) {
    setInterval(() => this.fold(), 250).unref();
  }

  fold(): void {
    for (const { api } of this.aws.calls) {
      this.window.set(api, (this.window.get(api) ?? 0) + 1);
      this.total.set(api, (this.total.get(api) ?? 0) + 1);
    }
    this.aws.resetCalls();
    // The fakes remember every secret they hand out for the tests' log checks; the bench has no use for them.
    this.aws.runtime.secrets.clear();
  }

  read(): { window: Record<string, number>; total: Record<string, number> } {
    this.fold();
    return { window: Object.fromEntries(this.window), total: Object.fromEntries(this.total) };
  }

  reset(): void {
    this.fold();
    this.window.clear();
  }
}

/**
 * Signs each user's tokens once and hands out the same ones afterwards, so the fakes' process, which
 * shares the machine's cores with the service, does not sign two RS256 JWTs per sign-in while a
 * scenario is measured. Tokens live an hour, longer than any run.
 */
class ReusedTokens implements TokenIssuer {
  private readonly ids = new Map<string, string>();
  private readonly accesses = new Map<string, string>();

  constructor(readonly issuer: TestTokenIssuer) {}

  idToken(claims: TokenClaims): string {
    return remember(this.ids, claims.sub, () => this.issuer.idToken(claims));
  }

  accessToken(claims: TokenClaims): string {
    return remember(this.accesses, claims.sub, () => this.issuer.accessToken(claims));
  }

  /** Signs both of a user's tokens during set-up, so no scenario pays for it; returns the ID token. */
  mint(claims: TokenClaims): string {
    this.accessToken(claims);
    return this.idToken(claims);
  }
}

function remember(map: Map<string, string>, key: string, make: () => string): string {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

/** The fakes' state behind their API, for bulk loading. */
interface FakeInternals {
  iot: { state: IotState };
  identityPool: { idBySub: Map<string, string>; subById: Map<string, string> };
}

/** The account, region and pool ids the service was configured with (bench/server.ts). */
const ids = JSON.parse(process.env.BENCH_AWS_IDS!) as {
  region: string;
  accountId: string;
  userPoolId: string;
  clientId: string;
  identityPoolId: string;
};
// The service's AWS settings beyond the ids are the defaults (quotas, replicas, attempts), and so are these.
const limiter = new SwitchableLimiter(loadConfig({}));
const tokens = new ReusedTokens(
  new TestTokenIssuer({ issuer: `https://cognito-idp.${ids.region}.amazonaws.com/${ids.userPoolId}`, clientId: ids.clientId }),
);
const jwks = new JwksServer(() => tokens.issuer.jwks());
const jwksUrl = await jwks.start();
// The scale run pages at AWS's largest page sizes (IoT 250, ListUsers 60); the other scenarios list nothing.
const scalePages = process.env.BENCH_IOT_PAGE_SIZE ? Number(process.env.BENCH_IOT_PAGE_SIZE) : undefined;
const aws = new FakeAws({ ...ids, tokens, limiter, pageSize: scalePages, userPageSize: scalePages === undefined ? undefined : 60 });
const counter = new CallCounter(aws);
const fakes = aws as unknown as FakeInternals;
const ports: Record<string, object> = { iot: aws.iot, connections: aws.connections, userPool: aws.userPool, identityPool: aws.identityPool };

serveCommands(
  jwksUrl,
  {
    /** The methods of each port's fake, for the service's side to offer (and nothing else: Nest looks for lifecycle hooks). */
    portMethods: () => Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, methodsOf(port)])),
    /** A port method of the service, called here: its result, or the DomainError it threw, as data. */
    port: async ({ port, method, args }: PortCall): Promise<PortReply> => {
      const target = ports[port] as Record<string, (...args: unknown[]) => unknown>;
      try {
        return { result: await target[method]!.apply(target, args) };
      } catch (error) {
        if (isDomainError(error))
          return { error: { code: error.code, message: error.message, details: error.details, retryAfterSeconds: error.retryAfterSeconds } };
        throw error;
      }
    },
    cpu: () => cpuMicros(),
    rss: () => peakRssBytes(),
    calls: () => counter.read(),
    resetCalls: () => counter.reset(),
    jwksRequests: () => jwks.requests,
    setLatency: (ms: number) => void (aws.latencyMs = ms),
    /** AWS's default quotas enforced by the fakes, and the app's client-side limiter in front of them. */
    setQuotas: (on: boolean) => void ((aws.enforceQuotas = on), (limiter.enabled = on)),
    /** This replica's client-side rate for each API, calls per second. */
    quotaRates: (apis: string[]) => Object.fromEntries(apis.map((api) => [api, limiter.rateOf(api)])),
    /** Throttled attempts the SDK-like retries repeated, by API: the fakes log each attempt as a call. */
    takeThrottlesRetried: () => {
      const retried = Object.fromEntries(limiter.throttlesRetried);
      limiter.throttlesRetried.clear();
      return retried;
    },
    /** Pool users with a permanent password and their IoT policies; with `signedIn`, an identity each with the policy attached. */
    seedPoolUsers: async (input: {
      users: Array<{ username: string; policyName: string; document: string }>;
      password: string;
      signedIn: boolean;
    }) => {
      const seeded: SeededPoolUser[] = [];
      for (const { username, policyName, document } of input.users) {
        const { sub } = aws.userPool.seedUser({ username, password: input.password });
        await aws.iot.createPolicy(policyName, document);
        const idToken = tokens.mint({ sub, username });
        let identityId: string | undefined;
        if (input.signedIn) {
          identityId = await aws.identityPool.getIdentityId(idToken);
          await aws.iot.attachPolicy(policyName, identityId);
        }
        seeded.push({ username, sub, idToken, identityId });
      }
      return seeded;
    },
    /**
     * A fleet's users straight into the fakes' maps, not through their API: each with an identity
     * (its policy attached) and devices (thing, certificate with this PEM, policy attached to it).
     */
    seedFleet: (input: { users: FleetUser[]; password: string; certificatePem: string }) => {
      const state = fakes.iot.state;
      return input.users.map(({ username, policy, devices }) => {
        const { sub } = aws.userPool.seedUser({ username, password: input.password });
        const identityId = `${ids.region}:${randomUUID()}`;
        fakes.identityPool.idBySub.set(sub, identityId);
        fakes.identityPool.subById.set(identityId, sub);
        addPolicy(state, policy.name, policy.document, identityId);
        const made = devices.map(({ thingName, policy: devicePolicy }): FleetDevice => {
          const thingArn = state.arn('thing', thingName);
          const certificateId = createHash('sha256').update(`${thingName}#1`).digest('hex');
          const certificateArn = state.arn('cert', certificateId);
          state.things.set(thingName, { thingName, thingArn, attributes: {} });
          state.certificates.set(certificateId, {
            certificateId,
            certificateArn,
            certificatePem: input.certificatePem,
            status: 'ACTIVE',
            createdAt: Date.now(),
          });
          state.thingPrincipals.set(thingName, new Set([certificateArn]));
          addPolicy(state, devicePolicy.name, devicePolicy.document, certificateArn);
          return { thingArn, certificateId, certificateArn };
        });
        return { sub, identityId, devices: made };
      });
    },
    /** Signs the ID tokens of these seeded users, so no scenario pays for signing. */
    idTokens: (usernames: string[]) => usernames.map((username) => tokens.mint({ sub: aws.userPool.user(username)!.sub, username })),
  },
  () => jwks.stop(),
);

function methodsOf(target: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(target); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

function addPolicy(state: IotState, policyName: string, document: string, target: string): void {
  state.policies.set(policyName, {
    policyName,
    policyArn: state.arn('policy', policyName),
    versions: [{ versionId: '1', document, isDefault: true }],
    nextVersionId: 2,
  });
  state.policyTargets.set(policyName, new Set([target]));
}
