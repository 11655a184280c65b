import { ConfigError, EnvReader, type Env } from './env-parsers.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `aws`: the SDK adapters talk to AWS (or an emulator). `local`: the service plays Cognito and AWS IoT itself. */
export const AWS_MODES = ['aws', 'local'] as const;
export type AwsMode = (typeof AWS_MODES)[number];

export interface AwsConfig {
  mode: AwsMode;
  /** Why this mode: set by AWS_MODE, or chosen because no AWS setting was given outside production. */
  modeChosenBy: 'AWS_MODE' | 'no AWS settings' | 'AWS settings';
  region?: string;
  endpointUrl?: string;
  accountId?: string;
  /** Upper bound for one AWS request, connection included. */
  requestTimeoutMs: number;
  /** Attempts per call, throttling retries included (AwsRetryStrategy). */
  maxAttempts: number;
  /** Upper bound for all AWS calls of one request together, attempts and rate-limit waits included. */
  operationTimeoutMs: number;
  /** Replicas sharing the account's quotas: each replica takes quota / replicas. */
  replicas: number;
  /** Per-API overrides of the client-side rate limits, calls per second. */
  quotaOverrides: Record<string, number>;
  /** How many calls may wait for a rate-limit slot before callers get AWS_THROTTLED. */
  queueLimit: number;
}

export interface CognitoConfig {
  userPoolId?: string;
  clientId?: string;
  clientSecret?: string;
  identityPoolId?: string;
  issuer?: string;
  jwksUri?: string;
}

export interface AppConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  database: {
    url?: string;
    migrateOnStart: boolean;
    embeddedDir: string;
    embeddedPort: number;
  };
  http: {
    corsOrigins: string[];
    bodyLimitBytes: number;
    /** Whose X-Forwarded-For decides the client address (per-address sign-in limits). */
    trustProxy: false | string[];
  };
  admin: {
    apiKeys: string[];
    group: string;
    /** How long Cognito's word on an admin token's user (enabled, in the group) is trusted before it is asked again. */
    recheckSeconds: number;
  };
  aws: AwsConfig;
  cognito: CognitoConfig;
  iot: { endpoint?: string };
  resourcePrefix: string;
  /** The local IoT Core (AWS_MODE=local): where its state lives. */
  local: { stateDir: string };
  authorizerSecret?: string;
  /** Where the deployed authorizer Lambda asks this service whether a user is active. */
  authorizerServiceUrl?: string;
  credentialCache: { enabled: boolean; maxEntries: number };
  /** Bearer token GET /metrics requires; unset = open (scrape from a private network only). */
  metricsToken?: string;
  signIn: {
    windowSeconds: number;
    /** Failures of one username from one address before each further attempt waits (1 s, 2 s, 4 s, ...). */
    freeFailuresPerPair: number;
    delayBaseSeconds: number;
    delayMaxSeconds: number;
    /** Ceilings for pairs that never signed in successfully: a known (username, address) pair is exempt. */
    maxFailuresPerUser: number;
    maxFailuresPerAddress: number;
    /** How long a successful (username, address) pair is remembered. */
    knownPairDays: number;
  };
  devices: {
    /** Devices one user may own, whoever registers them (admin or claim). */
    maxPerUser: number;
    /** Devices one site may have. */
    maxPerSite: number;
  };
  /** Self-onboarding: the app asks for a claim, the device redeems it with its CSR. */
  deviceClaims: {
    enabled: boolean;
    ttlSeconds: number;
    /** Failed redemptions per client address per window before 429. */
    maxFailuresPerAddress: number;
    windowSeconds: number;
  };
  drift: {
    /** Rows per database batch of a drift scan, and so the most things and policies one batch asks AWS about. */
    scanBatch: number;
  };
  operations: {
    /** How long a running operation may go without progress before recovery takes it over. */
    leaseMs: number;
    recoveryIntervalMs: number;
    /** How long finished operations are kept before the recovery loop trims them, in days. */
    retainCompletedDays: number;
    retainFailedDays: number;
  };
  /** The local IoT Core's MQTT broker (local mode only): where it listens. Port 0 picks a free port. */
  localMqtt: LocalMqttConfig;
}

export interface LocalMqttConfig {
  host: string;
  /** MQTT over TLS: client certificates or a custom authorizer. */
  mqttsPort: number;
  /** MQTT over plain WebSocket at /mqtt. */
  wsPort: number;
  /** MQTT over WebSocket with TLS at /mqtt. */
  wssPort: number;
}

/** Variables that AWS-backed routes need; their absence is reported, not fatal. */
const REQUIRED_AWS = {
  AWS_REGION: (c: AppConfig) => c.aws.region,
  COGNITO_USER_POOL_ID: (c: AppConfig) => c.cognito.userPoolId,
  COGNITO_CLIENT_ID: (c: AppConfig) => c.cognito.clientId,
  COGNITO_IDENTITY_POOL_ID: (c: AppConfig) => c.cognito.identityPoolId,
} as const;

export function missingAwsSettings(config: AppConfig): string[] {
  return Object.entries(REQUIRED_AWS)
    .filter(([, read]) => !read(config))
    .map(([name]) => name);
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
const IDENTITY_POOL_ID = /^[\w-]+:[0-9a-f-]+$/;
const CLIENT_ID = /^[\w+]+$/;
const PREFIX = /^[a-z][a-z0-9]{0,15}$/;

/** Any of these means the operator configured AWS (or an emulator); none at all, outside production, means local mode. */
const AWS_SETTINGS = [
  'AWS_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ACCOUNT_ID',
  'COGNITO_USER_POOL_ID',
  'COGNITO_CLIENT_ID',
  'COGNITO_IDENTITY_POOL_ID',
  'COGNITO_ISSUER',
  'COGNITO_JWKS_URI',
  'IOT_ENDPOINT',
] as const;
/** Settings the local IoT Core owns: giving them with AWS_MODE=local is a mistake worth stopping for. */
const OWNED_BY_LOCAL_MODE = [
  'AWS_ENDPOINT_URL',
  'COGNITO_USER_POOL_ID',
  'COGNITO_CLIENT_ID',
  'COGNITO_CLIENT_SECRET',
  'COGNITO_IDENTITY_POOL_ID',
  'COGNITO_ISSUER',
  'COGNITO_JWKS_URI',
];

/** The local IoT Core's fixed ids: the sandbox state is one account, one user pool, one identity pool. */
export const LOCAL_DEFAULTS = {
  region: 'us-east-1',
  accountId: '000000000000',
  userPoolSuffix: 'LocalPool1',
  clientId: 'localappclient000000000001',
  identityPoolSuffix: '00000000-0000-4000-8000-00000000a001',
  /** Used when ADMIN_API_KEYS is unset in local mode outside production, and printed in the start-up banner. */
  adminApiKey: 'local-admin-key-change-me-0123456789',
} as const;

export function loadConfig(env: Env): AppConfig {
  const read = new EnvReader(env);
  const production = read.string('NODE_ENV') === 'production';
  const explicitMode = env.AWS_MODE === undefined || env.AWS_MODE === '' ? undefined : read.oneOf('AWS_MODE', AWS_MODES, 'aws');
  const anyAwsSetting = AWS_SETTINGS.some((name) => env[name] !== undefined && env[name] !== '');
  const mode: AwsMode = explicitMode ?? (!production && !anyAwsSetting ? 'local' : 'aws');
  const config: AppConfig = {
    port: read.int('PORT', 3000, 0, 65535),
    host: read.string('HOST') ?? '0.0.0.0',
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    database: {
      url: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
      migrateOnStart: read.bool('DATABASE_MIGRATE_ON_START', true),
      embeddedDir: read.string('EMBEDDED_PG_DIR') ?? '.data/postgres',
      embeddedPort: read.int('EMBEDDED_PG_PORT', 54329, 1024, 65535),
    },
    http: {
      corsOrigins: read.list('CORS_ORIGINS', (origin) =>
        /^https?:\/\/[^/\s]+$/.test(origin) ? undefined : `entries must be origins like https://app.example.com, got "${origin}"`,
      ),
      bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
      trustProxy: read.trustProxy('TRUST_PROXY'),
    },
    admin: {
      apiKeys: read.list('ADMIN_API_KEYS', (key) =>
        key.length >= 24 ? undefined : 'entries must be at least 24 characters (generate with: openssl rand -hex 24)',
      ),
      group: read.string('ADMIN_GROUP', { pattern: /^[\w.@+=,-]{1,128}$/, rule: 'must be a Cognito group name' }) ?? 'admins',
      recheckSeconds: read.int('ADMIN_RECHECK_SECONDS', 60, 0, 3600),
    },
    aws: {
      mode,
      modeChosenBy: explicitMode ? 'AWS_MODE' : mode === 'local' ? 'no AWS settings' : 'AWS settings',
      region: read.string('AWS_REGION', { pattern: REGION, rule: 'must be a region such as eu-west-1' }),
      endpointUrl: read.url('AWS_ENDPOINT_URL', ['http:', 'https:']),
      accountId: read.string('AWS_ACCOUNT_ID', { pattern: /^\d{12}$/, rule: 'must be 12 digits' }),
      requestTimeoutMs: read.int('AWS_TIMEOUT_MS', 5000, 100, 60000),
      maxAttempts: read.int('AWS_MAX_ATTEMPTS', 4, 1, 10),
      operationTimeoutMs: read.int('AWS_OPERATION_TIMEOUT_MS', 30000, 100, 600000),
      replicas: read.int('REPLICAS', 1, 1, 1000),
      quotaOverrides: read.numberMap('AWS_QUOTAS', 0.1, 100000),
      queueLimit: read.int('AWS_QUEUE_LIMIT', 1000, 0, 100000),
    },
    cognito: {
      userPoolId: read.string('COGNITO_USER_POOL_ID', { pattern: USER_POOL_ID, rule: 'must look like eu-west-1_AbC123' }),
      clientId: read.string('COGNITO_CLIENT_ID', { pattern: CLIENT_ID, rule: 'must be an app client id' }),
      clientSecret: read.string('COGNITO_CLIENT_SECRET'),
      identityPoolId: read.string('COGNITO_IDENTITY_POOL_ID', {
        pattern: IDENTITY_POOL_ID,
        rule: 'must look like eu-west-1:1234abcd-...',
      }),
      issuer: read.url('COGNITO_ISSUER', ['http:', 'https:']),
      jwksUri: read.url('COGNITO_JWKS_URI', ['http:', 'https:']),
    },
    iot: {
      endpoint: read.string('IOT_ENDPOINT', { pattern: /^[\w.-]+(:\d+)?$/, rule: 'must be a host name such as abc-ats.iot.eu-west-1.amazonaws.com' }),
    },
    resourcePrefix:
      read.string('RESOURCE_PREFIX', { pattern: PREFIX, rule: 'must be 1-16 lowercase letters or digits, starting with a letter' }) ?? 'iotp',
    local: {
      stateDir: read.string('LOCAL_STATE_DIR') ?? '.data/local-aws',
    },
    authorizerSecret: read.string('AUTHORIZER_SECRET', { minLength: 32 }),
    authorizerServiceUrl: read.url('AUTHORIZER_SERVICE_URL', ['https:', 'http:']),
    credentialCache: {
      enabled: read.bool('CREDENTIAL_CACHE_ENABLED', true),
      maxEntries: read.int('CREDENTIAL_CACHE_MAX_ENTRIES', 10000, 1, 1_000_000),
    },
    metricsToken: read.string('METRICS_TOKEN', { pattern: /^[\x21-\x7e]{24,256}$/, rule: 'must be 24-256 printable characters without spaces' }),
    signIn: {
      windowSeconds: read.int('SIGNIN_WINDOW_SECONDS', 900, 10, 86400),
      freeFailuresPerPair: read.int('SIGNIN_FREE_FAILURES_PER_PAIR', 3, 1, 100),
      delayBaseSeconds: read.int('SIGNIN_DELAY_BASE_SECONDS', 1, 1, 3600),
      delayMaxSeconds: read.int('SIGNIN_DELAY_MAX_SECONDS', 300, 1, 86400),
      maxFailuresPerUser: read.int('SIGNIN_MAX_FAILURES_PER_USER', 100, 1, 100000),
      maxFailuresPerAddress: read.int('SIGNIN_MAX_FAILURES_PER_ADDRESS', 20, 1, 100000),
      knownPairDays: read.int('SIGNIN_KNOWN_PAIR_DAYS', 30, 1, 3650),
    },
    devices: {
      maxPerUser: read.int('MAX_DEVICES_PER_USER', 50, 1, 100000),
      maxPerSite: read.int('MAX_DEVICES_PER_SITE', 500, 1, 100000),
    },
    deviceClaims: {
      enabled: read.bool('DEVICE_CLAIMS_ENABLED', true),
      ttlSeconds: read.int('DEVICE_CLAIM_TTL_SECONDS', 600, 30, 86400),
      maxFailuresPerAddress: read.int('DEVICE_CLAIM_MAX_FAILURES_PER_ADDRESS', 10, 1, 100000),
      windowSeconds: read.int('DEVICE_CLAIM_WINDOW_SECONDS', 900, 10, 86400),
    },
    drift: {
      scanBatch: read.int('DRIFT_SCAN_BATCH', 250, 1, 1000),
    },
    operations: {
      leaseMs: read.int('OPERATION_LEASE_MS', 60000, 500, 3600000),
      recoveryIntervalMs: read.int('RECOVERY_INTERVAL_MS', 60000, 500, 3600000),
      retainCompletedDays: read.int('OPERATIONS_RETAIN_COMPLETED_DAYS', 30, 1, 3650),
      retainFailedDays: read.int('OPERATIONS_RETAIN_FAILED_DAYS', 180, 1, 3650),
    },
    // --- Local IoT Core: MQTT broker ---
    localMqtt: {
      host: read.string('LOCAL_MQTT_HOST', { pattern: /^[\w.:-]+$/, rule: 'must be an address or host name such as 127.0.0.1' }) ?? '127.0.0.1',
      mqttsPort: read.int('LOCAL_MQTT_PORT', 8883, 0, 65535),
      wsPort: read.int('LOCAL_MQTT_WS_PORT', 8080, 0, 65535),
      wssPort: read.int('LOCAL_MQTT_WSS_PORT', 8443, 0, 65535),
    },
  };
  if (mode === 'local') {
    for (const name of OWNED_BY_LOCAL_MODE)
      if (env[name]) read.problems.push(`${name} cannot be set with AWS_MODE=local: the local IoT Core provides it`);
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return deepFreeze(mode === 'local' ? withLocalAws(config, production) : config);
}

/** Local mode: the region, account and pool ids of the sandbox, and token verification against the JWKS this service serves. */
function withLocalAws(config: AppConfig, production: boolean): AppConfig {
  const region = config.aws.region ?? LOCAL_DEFAULTS.region;
  const userPoolId = `${region}_${LOCAL_DEFAULTS.userPoolSuffix}`;
  const issuer = `${localServiceUrl(config)}/v1/local/cognito/${userPoolId}`;
  return {
    ...config,
    admin: { ...config.admin, apiKeys: config.admin.apiKeys.length > 0 || production ? config.admin.apiKeys : [LOCAL_DEFAULTS.adminApiKey] },
    aws: { ...config.aws, region, accountId: config.aws.accountId ?? LOCAL_DEFAULTS.accountId },
    cognito: {
      userPoolId,
      clientId: LOCAL_DEFAULTS.clientId,
      identityPoolId: `${region}:${LOCAL_DEFAULTS.identityPoolSuffix}`,
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
    },
    iot: { endpoint: config.iot.endpoint ?? localMqttClientHost(config.localMqtt.host) },
  };
}

/** The host MQTT clients connect to: the broker's listening address, with a wildcard read as loopback. */
export function localMqttClientHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** Where the service reaches itself (its own JWKS): the listening address, with a wildcard host read as loopback. */
export function localServiceUrl(config: Pick<AppConfig, 'host' | 'port'>): string {
  const host = config.host === '0.0.0.0' || config.host === '' ? '127.0.0.1' : config.host === '::' ? '[::1]' : config.host;
  return `http://${host}:${config.port}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
