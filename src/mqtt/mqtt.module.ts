import { Module } from '@nestjs/common';
import { LocalMqttPortsModule } from './local-mqtt-ports.js';
import { MqttConnection } from './mqtt-connection.js';
import { MqttController } from './mqtt.controller.js';

/** How MQTT clients reach the endpoint: connection facts for responses, and the CA to trust. */
@Module({
  imports: [LocalMqttPortsModule],
  controllers: [MqttController],
  providers: [MqttConnection],
  exports: [MqttConnection],
})
export class MqttModule {}
