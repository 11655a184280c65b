import { describe, expect, it } from 'vitest';
import { AMAZON_ROOT_CA_1 } from '../../../src/aws/amazon-root-ca.js';
import { IotEndpoint } from '../../../src/aws/iot-endpoint.js';
import type { IotPort } from '../../../src/aws/iot.port.js';
import { AmazonRootCa } from '../../../src/aws/mqtt-server-ca.js';
import { loadConfig } from '../../../src/config/app-config.js';
import { LocalMqttPorts } from '../../../src/mqtt/local-mqtt-ports.js';
import { MqttConnection } from '../../../src/mqtt/mqtt-connection.js';
import { MqttController } from '../../../src/mqtt/mqtt.controller.js';

const AWS = {
  AWS_REGION: 'eu-west-1',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
  COGNITO_CLIENT_ID: 'abc',
  COGNITO_IDENTITY_POOL_ID: 'eu-west-1:1234',
};

function connection(env: Record<string, string>, described = 'a1b2-ats.iot.eu-west-1.amazonaws.com', ports = new LocalMqttPorts()): MqttConnection {
  const config = loadConfig(env);
  const iot = { dataEndpoint: () => Promise.resolve(described) } as unknown as IotPort;
  return new MqttConnection(new IotEndpoint(iot, config), config, ports);
}

describe('MQTT connection facts', () => {
  it('against AWS: WebSocket on 443 without a port, client certificates on 8883', async () => {
    expect(await connection(AWS).endpoint()).toEqual({
      endpoint: 'a1b2-ats.iot.eu-west-1.amazonaws.com',
      websocketUrl: 'wss://a1b2-ats.iot.eu-west-1.amazonaws.com/mqtt',
      mqttsUrl: 'mqtts://a1b2-ats.iot.eu-west-1.amazonaws.com:8883',
      region: 'eu-west-1',
    });
  });

  it('names the port when IOT_ENDPOINT has one other than 443', async () => {
    expect(await connection({ ...AWS, IOT_ENDPOINT: 'broker.test:9443' }).endpoint()).toMatchObject({
      endpoint: 'broker.test:9443',
      websocketUrl: 'wss://broker.test:9443/mqtt',
      mqttsUrl: 'mqtts://broker.test:8883',
    });
  });

  it("in local mode: the local broker's host and ports", async () => {
    expect(await connection({ LOCAL_MQTT_HOST: 'localhost', LOCAL_MQTT_PORT: '18883', LOCAL_MQTT_WSS_PORT: '443' }).endpoint()).toEqual({
      endpoint: 'localhost',
      websocketUrl: 'wss://localhost/mqtt',
      mqttsUrl: 'mqtts://localhost:18883',
      region: 'us-east-1',
    });
  });

  it('in local mode with ports 0: the ports the broker reported once it listens', async () => {
    const ports = new LocalMqttPorts();
    const local = connection({ LOCAL_MQTT_PORT: '0', LOCAL_MQTT_WS_PORT: '0', LOCAL_MQTT_WSS_PORT: '0' }, undefined, ports);
    ports.report({ mqttsPort: 41883, wsPort: 41080, wssPort: 41443 });
    expect(await local.endpoint()).toMatchObject({ websocketUrl: 'wss://127.0.0.1:41443/mqtt', mqttsUrl: 'mqtts://127.0.0.1:41883' });
  });

  it('serves Amazon Root CA 1 as the CA to trust against AWS', () => {
    expect(new MqttController(new AmazonRootCa()).serverCa()).toBe(AMAZON_ROOT_CA_1);
  });
});
