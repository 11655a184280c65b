/**
 * `npm run mqtt -- <options>` (after `npm run build`): a small MQTT client for trying the service's
 * MQTT settings by hand. It takes the `mqtt` block from the service (signing in, or from a saved
 * answer), trusts the CA of `GET /v1/mqtt/ca`, connects over WebSocket presigned with SigV4 (a
 * user) or over mutual TLS (a device), subscribes and publishes, and prints what arrives.
 * Exit status: 0 when every step was allowed, 1 when the broker refused something, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { presignMqttUrl, type PresignCredentials } from './mqtt-presign.js';

const USAGE = `usage: npm run mqtt -- [--api URL] (--username U --password P | --session FILE | --device FILE --key FILE)
       [--client-id ID] [--subscribe FILTER]... [--publish TOPIC --message TEXT]... [--listen SECONDS]
  --api        the service's base URL (default http://127.0.0.1:3000)
  --username, --password   sign in (POST /v1/sessions) and connect over WebSocket + SigV4
  --session    a saved sign-in answer (POST /v1/sessions or /v1/sessions/challenge) instead
  --device     a saved device registration answer (its certificate and mqtt block), with --key its private key: mutual TLS
  --client-id  another client id than the mqtt block's (to see a foreign one refused)
  --listen     seconds to keep printing messages after the publishes (default 2 with --subscribe, else 0)`;

interface MqttBlock {
  websocketUrl: string;
  mqttsUrl: string;
  region: string;
  clientId: string;
}

interface Connection {
  url: string;
  options: IClientOptions;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      api: { type: 'string', default: 'http://127.0.0.1:3000' },
      username: { type: 'string' },
      password: { type: 'string' },
      session: { type: 'string' },
      device: { type: 'string' },
      key: { type: 'string' },
      'client-id': { type: 'string' },
      subscribe: { type: 'string', multiple: true, default: [] },
      publish: { type: 'string', multiple: true, default: [] },
      message: { type: 'string', multiple: true, default: [] },
      listen: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return usage(0);
  const api = values.api.replace(/\/$/, '');
  const ca = await httpText(`${api}/v1/mqtt/ca`);
  let connection: Connection;
  if (values.device) {
    if (!values.key) return usage(2, '--device needs --key');
    const device = JSON.parse(readFileSync(values.device, 'utf8')) as { certificate: { certificatePem: string }; mqtt: MqttBlock };
    const clientId = values['client-id'] ?? device.mqtt.clientId;
    connection = {
      url: device.mqtt.mqttsUrl,
      options: { clientId, ca, cert: device.certificate.certificatePem, key: readFileSync(values.key, 'utf8'), ...serverName(device.mqtt.mqttsUrl) },
    };
  } else {
    const session = values.session
      ? (JSON.parse(readFileSync(values.session, 'utf8')) as SessionAnswer)
      : values.username && values.password
        ? await signIn(api, values.username, values.password)
        : undefined;
    if (!session) return usage(2, 'give --username and --password, --session, or --device and --key');
    if (!session.credentials || !session.mqtt)
      return usage(2, 'the sign-in answer carries no credentials (answer the NEW_PASSWORD_REQUIRED challenge first)');
    const { credentials, mqtt: block } = session;
    const clientId = values['client-id'] ?? block.clientId;
    connection = {
      url: block.websocketUrl,
      options: {
        clientId,
        ca,
        ...serverName(block.websocketUrl),
        transformWsUrl: () => presignMqttUrl(block.websocketUrl, credentials, block.region),
      },
    };
  }
  if (values.publish.length !== values.message.length) return usage(2, 'each --publish needs its --message');
  return run(
    connection,
    values.subscribe,
    values.publish.map((topic, i) => [topic, values.message[i]!] as const),
    Number(values.listen ?? (values.subscribe.length > 0 ? 2 : 0)),
  );
}

interface SessionAnswer {
  credentials?: PresignCredentials;
  mqtt?: MqttBlock;
}

async function run(
  connection: Connection,
  filters: string[],
  publishes: ReadonlyArray<readonly [string, string]>,
  listenSeconds: number,
): Promise<number> {
  const client = mqtt.connect(connection.url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, clean: true, ...connection.options });
  client.on('message', (topic, payload) => say(`message ${topic} ${payload.toString()}`));
  try {
    await connected(client);
  } catch (error) {
    say(`refused: ${describe(error)}`);
    return 1;
  }
  say(`connected as ${connection.options.clientId} to ${connection.url}`);
  let refused = false;
  const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
  for (const filter of filters) {
    const granted = await subscribe(client, filter);
    refused ||= granted === 0x80;
    say(granted === 0x80 ? `subscribe ${filter}: refused (SUBACK 0x80)` : `subscribe ${filter}: granted QoS ${granted}`);
  }
  for (const [topic, message] of publishes) {
    const outcome = await Promise.race([client.publishAsync(topic, message, { qos: 1 }).then(() => 'acknowledged'), gone.then(() => 'closed')]);
    say(outcome === 'acknowledged' ? `published ${topic}` : `publish ${topic}: refused (the broker closed the connection)`);
    if (outcome === 'closed') return 1;
  }
  await Promise.race([new Promise((resolve) => setTimeout(resolve, listenSeconds * 1000)), gone]);
  if (!client.connected) {
    say('the broker closed the connection');
    refused = true;
  }
  await client.endAsync(true).catch(() => undefined);
  return refused ? 1 : 0;
}

function connected(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    // A refused WebSocket upgrade (403) may show as an error only after the close, or not at all.
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    client.once('connect', () => resolve());
    client.once('close', () =>
      setImmediate(() => reject(errors[0] ?? new Error('closed before CONNACK (a refused WebSocket upgrade or TLS handshake)'))),
    );
  });
}

async function subscribe(client: MqttClient, filter: string): Promise<number> {
  try {
    return (await client.subscribeAsync(filter, { qos: 1 }))[0]?.qos ?? 0x80;
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw error;
    return granted[0] ?? 0x80;
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? `CONNACK return code ${code} (${(error as Error).message})` : (error as Error).message;
}

async function signIn(api: string, username: string, password: string): Promise<SessionAnswer> {
  const response = await fetch(`${api}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await response.json()) as SessionAnswer & { code?: string; message?: string };
  if (!response.ok) throw new Error(`sign-in answered ${response.status} ${body.code ?? ''} ${body.message ?? ''}`);
  return body;
}

async function httpText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

/** TLS SNI names a host, never an IP address (RFC 6066). */
function serverName(url: string): { servername?: string } {
  const { hostname } = new URL(url);
  return isIP(hostname) ? {} : { servername: hostname };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function usage(status: number, problem?: string): number {
  process.stderr.write(`${problem ? `${problem}\n` : ''}${USAGE}\n`);
  return status;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
