/** Real mqtt.js clients for broker tests, and promises on their events (tests wait on events, never on time). */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Connected {
  client: MqttClient;
}

const opened = new Set<MqttClient>();

/** Connects without reconnecting; every client is tracked so `closeAllClients` can end it. */
export function open(url: string, options: IClientOptions): MqttClient {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, clean: true, ...options });
  client.on('error', () => undefined);
  opened.add(client);
  return client;
}

/** Resolves once CONNACK accepted the connection; rejects with the refusal otherwise. */
export function connected(client: MqttClient): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => finish(() => reject(error));
    const onClose = () => finish(() => reject(new Error('closed before CONNACK')));
    const finish = (then: () => void) => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      then();
    };
    const onConnect = () => finish(() => resolve(client));
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

/** The CONNACK return code, or the transport error (an HTTP status on a refused upgrade), of a refused connection. */
export function refusal(client: MqttClient): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const errors: Array<{ code?: number | string; message: string }> = [];
    client.on('error', (error) => errors.push(error as never));
    client.once('connect', () => reject(new Error('the connection was accepted')));
    client.once('close', () => {
      const error = errors[0];
      resolve(error ? (error.code ?? error.message) : 'closed without an error');
    });
  });
}

/** Call before the action that should close the connection. With `timeoutMs`, rejects when it is still open by then (a bound, not a measurement). */
export function closed(client: MqttClient, timeoutMs?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => reject(new Error(`the connection was still open after ${timeoutMs} ms`)), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function nextMessage(client: MqttClient): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
}

export async function closeAllClients(): Promise<void> {
  const clients = [...opened];
  opened.clear();
  await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
}

/** The SUBACK return codes, one per filter (mqtt.js rejects on a 0x80 but keeps the packet). */
export async function subscribeCodes(client: MqttClient, filters: string | string[], qos: 0 | 1 = 0): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos })).map((grant) => grant.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw error;
    return granted;
  }
}
