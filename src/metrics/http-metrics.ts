import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/** Every answered request, labelled with its route template (Fastify's), method and status. */
export function useHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
