import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { DestinationStream } from 'pino';
import { configureApp, createFastifyAdapter } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import type { AppConfig } from '../../src/config/app-config.js';

/** A provider to bind in place of the real one: an AWS port's fake or proxy, a switchable limiter. */
export interface Replacement {
  provide: unknown;
  useValue: unknown;
}

export interface BootOptions {
  config: AppConfig;
  /** Bound in place of the app's own providers (the AWS ports, in every caller). */
  replace: Replacement[];
  /** Where log lines go; stdout by default, as in production. */
  logStream?: DestinationStream;
  /** Further changes to the module before it is compiled. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/**
 * The real AppModule, configured as main.ts configures it, with some providers replaced. Shared by
 * the in-process test app, the child service of the kill tests and the benchmark's server; each
 * then initialises it or listens. Plain Node: no vitest and no test fakes in here.
 */
export async function bootApp({ config, replace, logStream, override }: BootOptions): Promise<NestFastifyApplication> {
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config, logStream)] });
  for (const replacement of replace) builder = builder.overrideProvider(replacement.provide).useValue(replacement.useValue);
  if (override) builder = override(builder);
  const app = (await builder.compile()).createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), { bufferLogs: true });
  await configureApp(app, config);
  return app;
}
