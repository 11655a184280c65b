import { join } from 'node:path';
import { LOCAL_DEFAULTS, localMqttClientHost, localServiceUrl, type AppConfig } from '../config/app-config.js';
import type { BoundMqttPorts } from '../mqtt/local-mqtt-ports.js';

/**
 * The start-up banner of local mode: what runs where, where the state lives, how to reset it.
 * `bound` holds the ports the broker listens on, which differ from the config when it asked for 0.
 */
export function localModeBanner(config: AppConfig, options: { embeddedDatabase: boolean; bound?: BoundMqttPorts }): string {
  const api = localServiceUrl(config);
  const mqtt = { ...config.localMqtt, ...options.bound, host: localMqttClientHost(config.localMqtt.host) };
  const defaultKey = config.admin.apiKeys.length === 1 && config.admin.apiKeys[0] === LOCAL_DEFAULTS.adminApiKey;
  const why = config.aws.modeChosenBy === 'AWS_MODE' ? 'AWS_MODE=local' : 'no AWS settings are set and NODE_ENV is not production';
  const database = options.embeddedDatabase ? `the embedded database in ${config.database.embeddedDir}` : 'the database at DATABASE_URL';
  const lines = [
    '',
    '================================ LOCAL IoT CORE ================================',
    ` iot-provisioner runs in LOCAL mode (${why}).`,
    ' It plays Amazon Cognito and AWS IoT Core itself; nothing is sent to AWS.',
    '',
    ` API       ${api}/v1${defaultKey ? `   (admin key: x-api-key: ${LOCAL_DEFAULTS.adminApiKey})` : ''}`,
    ` Swagger   ${api}/docs`,
    ` MQTT      mqtts://${mqtt.host}:${mqtt.mqttsPort} (client certificates or custom authorizer)`,
    `           wss://${mqtt.host}:${mqtt.wssPort}/mqtt and ws://${mqtt.host}:${mqtt.wsPort}/mqtt (SigV4 or custom authorizer ${config.resourcePrefix}-authorizer)`,
    ` CA        ${api}/v1/mqtt/ca (trust it for the MQTT endpoints)`,
    ` JWKS      ${config.cognito.jwksUri}`,
    ` State     ${join(config.local.stateDir, 'state.json')}, kept consistent with ${database}`,
    options.embeddedDatabase
      ? ' Reset     stop the service, then: npm run reset:local (deletes the local state and the embedded database)'
      : ' Reset     stop the service, delete the local state (npm run reset:local) and empty the database at DATABASE_URL',
    ' AWS       set AWS_REGION and the COGNITO_* variables (README "Running against AWS"), or AWS_MODE=aws',
    '================================================================================',
    '',
  ];
  return lines.join('\n');
}
