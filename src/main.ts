import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createFastifyAdapter } from './app.factory.js';
import { AppModule } from './app.module.js';
import { exitOnFatalErrors } from './common/logging/fatal-errors.js';
import { LogRoot } from './common/logging/log-root.js';
import { loadConfig } from './config/app-config.js';
import { ConfigError } from './config/env-parsers.js';
import { localModeBanner } from './local/banner.js';
import { LocalMqttPorts } from './mqtt/local-mqtt-ports.js';
import { prepareDatabase } from './persistence/database.js';

/** pino's numeric levels, so boot lines and the app's own lines filter alike. */
const LEVELS = { info: 30, fatal: 60 } as const;

/** Boot messages go to stderr as JSON before the app's logger exists. */
function bootLog(level: keyof typeof LEVELS, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level: LEVELS[level], time: Date.now(), msg })}\n`);
}

async function bootstrap(): Promise<void> {
  const loaded = loadConfig(process.env);
  const database = await prepareDatabase(loaded, (message) => bootLog('info', message));
  const config = database.config;
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
    bufferLogs: true,
  });
  exitOnFatalErrors(app.get(LogRoot));
  await configureApp(app, config);
  app.getHttpServer().on('close', () => void database.stop());
  await app.listen(config.port, config.host);
  bootLog('info', `iot-provisioner listening on http://${config.host}:${config.port} (docs at /docs, AWS mode: ${config.aws.mode})`);
  if (config.aws.mode === 'local') {
    const bound = app.get(LocalMqttPorts, { strict: false }).bound();
    process.stderr.write(localModeBanner(config, { embeddedDatabase: !loaded.database.url, bound }));
  }
}

bootstrap().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  bootLog('fatal', `iot-provisioner failed to start: ${message}`);
  process.exit(1);
});
