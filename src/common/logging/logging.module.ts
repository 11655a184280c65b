import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../../config/app-config.js';
import { REDACT_PATHS } from './redact.js';

const INCOMING_ID = /^[\w.:-]{1,128}$/;

/** Accepts a caller's x-request-id when it is sane, so one id follows a request across services. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && INCOMING_ID.test(header) ? header : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

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
              genReqId: requestIdFor,
              redact: { paths: REDACT_PATHS, censor: '[redacted]' },
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
