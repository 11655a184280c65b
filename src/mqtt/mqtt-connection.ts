import { Inject, Injectable } from '@nestjs/common';
import { IotEndpoint } from '../aws/iot-endpoint.js';
import { localMqttClientHost, type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { LocalMqttPorts } from './local-mqtt-ports.js';

/** Where an MQTT client connects, besides its client id and topics. */
export interface MqttEndpoint {
  /** Host name (with a port only when IOT_ENDPOINT names one). */
  endpoint: string;
  /** MQTT over WebSocket: SigV4-presigned or custom-authorizer; the port is explicit when not 443. */
  websocketUrl: string;
  /** MQTT over TLS with the device's client certificate. */
  mqttsUrl: string;
  region: string;
}

/** AWS IoT Core serves MQTT with client certificates on 8883 (and 443 with ALPN) and WebSocket on 443. */
const AWS_MQTTS_PORT = 8883;
const HTTPS_PORT = 443;

/**
 * The connection facts every `mqtt` block of the API carries. Against AWS: the account's ATS
 * data endpoint. In local mode: the local broker's host and the ports it
 * listens on (LOCAL_MQTT_*, or the ones it was given for 0).
 */
@Injectable()
export class MqttConnection {
  constructor(
    private readonly iotEndpoint: IotEndpoint,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly localPorts: LocalMqttPorts,
  ) {}

  async endpoint(): Promise<MqttEndpoint> {
    const region = this.config.aws.region!;
    const endpoint = await this.iotEndpoint.get();
    if (this.config.aws.mode === 'local') {
      const bound = this.localPorts.bound();
      const mqttsPort = bound?.mqttsPort ?? this.config.localMqtt.mqttsPort;
      const wssPort = bound?.wssPort ?? this.config.localMqtt.wssPort;
      const host = localMqttClientHost(this.config.localMqtt.host);
      return { endpoint: host, websocketUrl: `wss://${withPort(host, wssPort)}/mqtt`, mqttsUrl: `mqtts://${host}:${mqttsPort}`, region };
    }
    const [host, port] = endpoint.split(':') as [string, string | undefined];
    return {
      endpoint,
      websocketUrl: `wss://${withPort(host, port === undefined ? HTTPS_PORT : Number(port))}/mqtt`,
      mqttsUrl: `mqtts://${host}:${AWS_MQTTS_PORT}`,
      region,
    };
  }
}

function withPort(host: string, port: number): string {
  return port === HTTPS_PORT ? host : `${host}:${port}`;
}
