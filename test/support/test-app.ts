import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TestingModuleBuilder } from '@nestjs/testing';
import supertest from 'supertest';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import type { Env } from '../../src/config/env-parsers.js';
import { FakeAws, type FakeAwsOptions } from '../fakes/fake-aws.js';
import { bootApp, type Replacement } from './boot-app.js';
import { createTestDatabase } from './database.js';
import { JwksServer } from './jwks-server.js';
import { TestTokenIssuer } from './token-issuer.js';
import { LogCapture } from './log-capture.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestApp {
  app: NestFastifyApplication;
  /** The stateful AWS fakes bound in place of the adapters (absent with `aws: false`). */
  aws: FakeAws;
  jwks: JwksServer;
  http: ReturnType<typeof supertest>;
  config: AppConfig;
  logs: LogCapture;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment on top of the defaults below; `undefined` removes a default. */
  env?: Env;
  /** Replace providers, e.g. the AWS ports with fakes. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Reuse a database (to restart the app over the same data). */
  databaseUrl?: string;
  /** Fakes to bind (default: new ones); false leaves the real adapters, unconfigured unless env says otherwise. */
  aws?: FakeAws | FakeAwsOptions | false;
}

/** Boots the real Nest app over a fresh Postgres database, not listening on a port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const aws = options.aws === false ? undefined : options.aws instanceof FakeAws ? options.aws : new FakeAws(options.aws);
  const jwks = new JwksServer(() => (aws?.tokens instanceof TestTokenIssuer ? aws.tokens.jwks() : { keys: [] }));
  const jwksUri = await jwks.start();
  const config = loadConfig({
    // Without fakes and AWS settings the service would play AWS itself (local mode); tests ask for that explicitly.
    AWS_MODE: 'aws',
    LOG_LEVEL: 'info',
    ADMIN_API_KEYS: ADMIN_KEY,
    DATABASE_MIGRATE_ON_START: 'false',
    RECOVERY_INTERVAL_MS: '3600000',
    ...(aws ? { ...aws.env(), COGNITO_JWKS_URI: jwksUri } : {}),
    ...options.env,
    DATABASE_URL: options.databaseUrl ?? database!.url,
  });
  const logs = new LogCapture();
  const replace = aws ? (aws.providers() as Replacement[]) : [];
  const app = await bootApp({ config, replace, logStream: logs, override: options.override });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    aws: aws as FakeAws,
    jwks,
    http: supertest(app.getHttpServer()),
    config,
    logs,
    async close() {
      await app.close();
      await jwks.stop();
      await database?.drop();
      if (aws) assertNoSecretsLogged(logs, aws);
    },
  };
}

/** No password, token, key or credential any fake handed out may appear in a log line. */
function assertNoSecretsLogged(logs: LogCapture, aws: FakeAws): void {
  const text = logs.text();
  const leaked = [...aws.runtime.secrets].filter((secret) => secret.length >= 8 && text.includes(secret));
  if (/PRIVATE KEY/.test(text)) leaked.push('a PEM private key');
  if (leaked.length > 0) throw new Error(`secrets reached the logs: ${leaked.map((secret) => secret.slice(0, 6) + '...').join(', ')}`);
}
