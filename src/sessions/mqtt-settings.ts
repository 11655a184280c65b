import { Inject, Injectable } from '@nestjs/common';
import { IotPort } from '../aws/iot.port.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { userClientIds, userTopicPrefix } from '../policy/names.js';

export interface MqttSettingsOfUser {
  endpoint: string;
  region: string;
  clientId: string;
  topicPrefix: string;
}

/** What an app needs to open its MQTT connection, besides credentials. */
@Injectable()
export class MqttSettings {
  private endpoint?: Promise<string>;

  constructor(
    private readonly iot: IotPort,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async forUser(username: string): Promise<MqttSettingsOfUser> {
    const [clientId] = userClientIds(username) as [string, ...string[]];
    return { endpoint: await this.dataEndpoint(), region: this.config.aws.region!, clientId, topicPrefix: userTopicPrefix(username) };
  }

  /** Asked once per process whatever IotPort is bound, so no sign-in pays for DescribeEndpoint; a failure is retried next time. */
  private dataEndpoint(): Promise<string> {
    this.endpoint ??= this.iot.dataEndpoint().catch((error: unknown) => {
      this.endpoint = undefined;
      throw error;
    });
    return this.endpoint;
  }
}
