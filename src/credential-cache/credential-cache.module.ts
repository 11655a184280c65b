import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.js';
import { CredentialCache } from './credential-cache.js';

/** One cache per process, shared by sessions (which fill it) and users (whose disable and delete empty it). */
@Module({
  providers: [
    {
      provide: CredentialCache,
      useFactory: (config: AppConfig, metrics: Metrics) => new CredentialCache(config.credentialCache, metrics),
      inject: [APP_CONFIG, Metrics],
    },
  ],
  exports: [CredentialCache],
})
export class CredentialCacheModule {}
