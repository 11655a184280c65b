import helmet from '@fastify/helmet';
import { RequestMethod } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { errorBody, toDomainError } from './common/errors/error-body.js';
import { setupSwagger } from './common/http/swagger.js';
import type { AppConfig } from './config/app-config.js';

export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: config.http.bodyLimitBytes, trustProxy: true });
}

/** Everything main.ts and the tests both need on top of the module graph. */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<NestFastifyApplication> {
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix('v1', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        scriptSrc: ["'self'"],
      },
    },
  });
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({ origin: [...config.http.corsOrigins], exposedHeaders: ['x-request-id', 'retry-after'] });
  }
  // Errors Fastify raises before Nest routes a request (body parsing) answer in the same shape.
  app
    .getHttpAdapter()
    .getInstance()
    .setErrorHandler((error, request, reply) => {
      const domain = toDomainError(error);
      const id = String((request.raw as { id?: unknown }).id ?? request.id);
      void reply.status(domain.status).header('x-request-id', id).send(errorBody(domain, id));
    });
  setupSwagger(app);
  app.enableShutdownHooks();
  return app;
}
