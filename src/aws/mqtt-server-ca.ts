import { AMAZON_ROOT_CA_1 } from './amazon-root-ca.js';

/** The CA that MQTT clients must trust for the endpoint the service hands out. */
export abstract class MqttServerCa {
  abstract pem(): string;
}

/** AWS IoT Core's ATS endpoints chain to Amazon Root CA 1. */
export class AmazonRootCa extends MqttServerCa {
  pem(): string {
    return AMAZON_ROOT_CA_1;
  }
}
