import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';
import { answerClientError, answerFrameworkError } from './common/errors/framework-errors.js';
import { useJsonBodies } from './common/http/json-body.js';
import { warnOfUntrustedProxy } from './common/http/proxy-warning.js';
import { setupSwagger } from './common/http/swagger.js';
import { LogRoot } from './common/logging/log-root.js';
import { NestLogger } from './common/logging/nest-logger.js';
import { useRequestContext } from './common/logging/request-context.js';
import { useRequestLogging } from './common/logging/request-logging.js';
import type { AppConfig } from './config/app-config.js';
import { useHttpMetrics } from './metrics/http-metrics.js';
import { Metrics } from './metrics/metrics.js';

const INCOMING_ID = /^[\w.:-]{1,128}$/;
/** AWS allows thing names of 128 characters, so `/devices/{thingName}` must too (Fastify's default is 100). */
const MAX_PATH_PARAM_LENGTH = 128;

/** Accepts a caller's x-request-id when it is sane, so one id follows a request across services. */
function requestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && INCOMING_ID.test(header) ? header : randomUUID();
}

export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    genReqId: requestId,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
}

/** The API lives under /v1; health probes and the metrics scrape stay at the root where orchestrators expect them. */
export function setApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix('v1', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
}

/** Everything main.ts and the tests both need on top of the module graph. */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<NestFastifyApplication> {
  const logger = app.get(NestLogger);
  app.useLogger(logger);
  setApiPrefix(app);
  useJsonBodies(app, config.http.bodyLimitBytes);
  // Built once: @fastify/helmet rebuilt every helmet middleware, CSP parsing included, on each request.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        scriptSrc: ["'self'"],
      },
    },
  });
  const fastify = app.getHttpAdapter().getInstance();
  useRequestContext(fastify, config.aws.operationTimeoutMs);
  useRequestLogging(fastify, app.get(LogRoot));
  useHttpMetrics(fastify, app.get(Metrics));
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
  warnOfUntrustedProxy(fastify, config, (message) => logger.warn(message, 'TrustProxy'));
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({ origin: [...config.http.corsOrigins], exposedHeaders: ['x-request-id', 'retry-after'] });
  }
  setupSwagger(app, config.aws.mode);
  app.enableShutdownHooks();
  return app;
}
