import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import supertest from 'supertest';
import { configureApp, createFastifyAdapter } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import type { Env } from '../../src/config/env-parsers.js';
import { createTestDatabase } from './database.js';
import { LogCapture } from './log-capture.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestApp {
  app: NestFastifyApplication;
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
}

/** Boots the real Nest app over a fresh Postgres database, not listening on a port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const config = loadConfig({
    LOG_LEVEL: 'info',
    ADMIN_API_KEYS: ADMIN_KEY,
    DATABASE_MIGRATE_ON_START: 'false',
    RECOVERY_INTERVAL_MS: '3600000',
    ...options.env,
    DATABASE_URL: options.databaseUrl ?? database!.url,
  });
  const logs = new LogCapture();
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config, logs)] });
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), { bufferLogs: true });
  await configureApp(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    http: supertest(app.getHttpServer()),
    config,
    logs,
    async close() {
      await app.close();
      await database?.drop();
    },
  };
}
