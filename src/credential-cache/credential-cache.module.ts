import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { CredentialCache } from './credential-cache.js';

/** One cache per process, shared by sessions (which fill it) and users (whose disable and delete empty it). */
@Module({
  providers: [{ provide: CredentialCache, useFactory: (config: AppConfig) => new CredentialCache(config.credentialCache), inject: [APP_CONFIG] }],
  exports: [CredentialCache],
})
export class CredentialCacheModule {}
