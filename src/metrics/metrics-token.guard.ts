import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { bearerToken } from '../common/http/bearer-token.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** With METRICS_TOKEN set, scrapers must send `Authorization: Bearer <METRICS_TOKEN>`; without it /metrics is open. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = config.metricsToken === undefined ? undefined : Buffer.from(config.metricsToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const given = Buffer.from(bearerToken(context.switchToHttp().getRequest()) ?? '');
    if (given.length === this.expected.length && timingSafeEqual(given, this.expected)) return true;
    throw new DomainError('UNAUTHENTICATED', 'Send the metrics token as Authorization: Bearer <token>');
  }
}
