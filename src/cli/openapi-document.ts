import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createFastifyAdapter, setApiPrefix } from '../app.factory.js';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/app-config.js';
import { buildOpenApiDocument } from '../common/http/swagger.js';

/**
 * The OpenAPI document as committed in openapi.json. Built from the module graph alone: nothing
 * connects to the database or AWS, so it runs anywhere.
 */
export async function renderOpenApi(): Promise<string> {
  // The API as deployed against AWS; local mode only adds its JWKS route.
  const config = loadConfig({ AWS_MODE: 'aws', DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused', LOG_LEVEL: 'silent' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
    logger: false,
  });
  setApiPrefix(app);
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
