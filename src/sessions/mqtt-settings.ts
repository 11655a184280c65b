import { Inject, Injectable } from '@nestjs/common';
import { IotEndpoint } from '../aws/iot-endpoint.js';
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
  constructor(
    private readonly endpoint: IotEndpoint,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async forUser(username: string): Promise<MqttSettingsOfUser> {
    const [clientId] = userClientIds(username) as [string, ...string[]];
    return { endpoint: await this.endpoint.get(), region: this.config.aws.region!, clientId, topicPrefix: userTopicPrefix(username) };
  }
}
