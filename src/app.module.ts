import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { AuthModule } from './auth/auth.module.js';
import { AuthorizerModule } from './authorizer/authorizer.module.js';
import { AuthzModule } from './authz/authz.module.js';
import { AwsModule } from './aws/aws.module.js';
import { ErrorFilter } from './common/errors/error.filter.js';
import { createValidationPipe } from './common/http/validation.pipe.js';
import { LoggingModule } from './common/logging/logging.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DevicesModule } from './devices/devices.module.js';
import { DriftModule } from './drift/drift.module.js';
import { HealthModule } from './health/health.module.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { LocalAwsModule } from './local/local-aws.module.js';
import { LocalIotCoreModule } from './local/local-iot-core.module.js';
import { LocalMqttModule } from './local/live-connections.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { PersistenceModule } from './persistence/persistence.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { SitesModule } from './sites/sites.module.js';
import { UsersModule } from './users/users.module.js';

/**
 * What local mode adds to the app: the local IoT Core around the sandbox (JWKS route, the broker's
 * DataPlaneAuthority and BrokerTls) and the local MQTT broker over it. The one place both are wired in.
 */
export function localModeImports(): Array<Type | DynamicModule> {
  return [LocalIotCoreModule, LocalMqttModule];
}

@Module({})
export class AppModule {
  /** `logStream` lets tests capture log lines; production logs to stdout. */
  static forRoot(config: AppConfig, logStream?: DestinationStream): DynamicModule {
    const local = config.aws.mode === 'local';
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logStream),
        MetricsModule,
        PersistenceModule,
        local ? AwsModule.forRoot(LocalAwsModule.forRoot()) : AwsModule.forRoot(),
        AuthModule,
        HealthModule,
        IdempotencyModule,
        OperationsModule,
        DevicesModule,
        AuthzModule,
        AuthorizerModule,
        UsersModule,
        SessionsModule,
        DriftModule,
        SitesModule,
        ...(local ? localModeImports() : []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
