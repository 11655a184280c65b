import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { IotPort } from './iot.port.js';

/**
 * The MQTT endpoint handed to apps and devices: IOT_ENDPOINT, or DescribeEndpoint asked once per
 * process. Concurrent first callers share one request; a failure is not kept, so the next caller asks again.
 */
@Injectable()
export class IotEndpoint {
  private endpoint?: Promise<string>;

  constructor(
    private readonly iot: IotPort,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get(): Promise<string> {
    if (this.config.iot.endpoint) return Promise.resolve(this.config.iot.endpoint);
    this.endpoint ??= this.iot.dataEndpoint().catch((error: unknown) => {
      this.endpoint = undefined;
      throw error;
    });
    return this.endpoint;
  }
}
