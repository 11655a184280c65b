import { Injectable, Module } from '@nestjs/common';

export interface BoundMqttPorts {
  mqttsPort?: number;
  wsPort?: number;
  wssPort?: number;
}

/**
 * The ports the local MQTT broker actually listens on, reported by the broker once it listens:
 * with LOCAL_MQTT_* set to 0 the configured port says nothing a client could use.
 */
@Injectable()
export class LocalMqttPorts {
  private ports?: BoundMqttPorts;

  report(ports: BoundMqttPorts | undefined): void {
    this.ports = ports;
  }

  bound(): BoundMqttPorts | undefined {
    return this.ports;
  }
}

/** One LocalMqttPorts for the app: the broker reports into it, MqttConnection reads it. */
@Module({ providers: [LocalMqttPorts], exports: [LocalMqttPorts] })
export class LocalMqttPortsModule {}
