import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { missingAwsSettings, type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { PrismaService } from '../persistence/prisma.service.js';

const DATABASE_TIMEOUT_MS = 2000;

@Injectable()
export class ReadinessIndicators {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async database(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('database');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), DATABASE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.prisma.$queryRaw`SELECT 1`, timeout]);
      return check.up();
    } catch {
      return check.down({ message: 'database unreachable' });
    } finally {
      clearTimeout(timer);
    }
  }

  /** In local mode the service is its own AWS, and says so. */
  awsSettings(): HealthIndicatorResult {
    const check = this.indicator.check('aws');
    const mode = this.config.aws.mode;
    if (mode === 'local')
      return check.up({ mode, message: 'local IoT Core: Cognito and AWS IoT are played by this service', stateDir: this.config.local.stateDir });
    const missing = missingAwsSettings(this.config);
    return missing.length === 0 ? check.up({ mode }) : check.down({ mode, message: 'AWS is not configured', missing });
  }
}
