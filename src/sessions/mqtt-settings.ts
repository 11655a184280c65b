import { Injectable } from '@nestjs/common';
import { MqttConnection, type MqttEndpoint } from '../mqtt/mqtt-connection.js';
import { userClientIds, userTopicPrefix } from '../policy/names.js';

export interface MqttSettingsOfUser extends MqttEndpoint {
  clientId: string;
  topicPrefix: string;
}

/** What an app needs to open its MQTT connection, besides credentials. */
@Injectable()
export class MqttSettings {
  constructor(private readonly connection: MqttConnection) {}

  async forUser(username: string): Promise<MqttSettingsOfUser> {
    const [clientId] = userClientIds(username) as [string, ...string[]];
    return { ...(await this.connection.endpoint()), clientId, topicPrefix: userTopicPrefix(username) };
  }
}
