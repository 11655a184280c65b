import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../../config/app-config.js';
import { censorSecrets } from './redact.js';

@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig, stream?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: [
            {
              level: config.logLevel,
              // Fastify assigns the id (see app.factory.ts); pino-http reuses it from req.id.
              // Secrets are censored by censorSecrets rather than pino's `redact` paths, which cost ~40 µs a request.
              formatters: { log: censorSecrets, bindings: censorSecrets },
              customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
              serializers: {
                req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
                res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              },
            },
            stream as DestinationStream,
          ],
          forRoutes: ['*path'],
        }),
      ],
    };
  }
}
