import type { FastifyInstance } from 'fastify';
import type { LogRoot } from './log-root.js';

/**
 * One line per request from Fastify's own hooks: no Nest middleware layer and no per-request
 * child logger. The fields are those the service has always logged: `req` (id, method, url),
 * `res` (statusCode), `responseTime` in milliseconds; 5xx answers are logged as errors.
 */
export function useRequestLogging(fastify: FastifyInstance, root: LogRoot): void {
  const logger = root.logger;
  fastify.addHook('onResponse', (request, reply, done) => {
    const statusCode = reply.statusCode;
    const level = statusCode >= 500 ? 'error' : 'info';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        { req: { id: request.id, method: request.method, url: request.url }, res: { statusCode }, responseTime: Math.round(reply.elapsedTime) },
        'request completed',
      );
    }
    done();
  });
}
