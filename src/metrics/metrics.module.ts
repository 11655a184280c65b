import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

/** One Metrics per app, injectable everywhere: features record into it, GET /metrics exposes it. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [Metrics, MetricsTokenGuard],
  exports: [Metrics],
})
export class MetricsModule {}
