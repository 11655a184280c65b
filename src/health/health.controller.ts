import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { DomainError, type ErrorDetails } from '../common/errors/domain-error.js';
import { ReadinessIndicators } from './readiness.indicators.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: ReadinessIndicators,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database answers and AWS settings are present' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.indicators.database(), () => this.indicators.awsSettings()]);
    } catch (error) {
      const result = error instanceof ServiceUnavailableException ? error.getResponse() : undefined;
      throw new DomainError('NOT_READY', 'The service is not ready', result as ErrorDetails | undefined);
    }
  }
}
