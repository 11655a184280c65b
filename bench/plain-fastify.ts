import { FastifyAdapter } from '@nestjs/platform-fastify';
import { cpuMicros, peakRssBytes, serveCommands } from './ipc.js';

/**
 * The ceiling: a bare Fastify JSON route with no Nest, no plugins, no logging. The instance comes
 * from Nest's FastifyAdapter only to use the Fastify the service itself runs on.
 */
const fastify = new FastifyAdapter({ logger: false }).getInstance();
fastify.get('/', async () => ({ status: 'ok' }));
const address = await fastify.listen({ host: '127.0.0.1', port: 0 });

serveCommands(address, { rss: () => peakRssBytes(), cpu: () => cpuMicros() }, () => fastify.close());
