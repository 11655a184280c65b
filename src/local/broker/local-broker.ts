/**
 * The local AWS IoT Core message broker: aedes (MQTT 3.1.1; aedes 1.x has no MQTT 5) behind AWS
 * IoT's three ways in, each authorizing every packet with the project's policy evaluator:
 * - MQTT over TLS with a client certificate issued by the sandbox CA (mqtts port);
 * - MQTT over WebSocket at `/mqtt`, plain and TLS, with a SigV4 presigned URL (service
 *   `iotdevicegateway`) checked at the HTTP upgrade: a bad URL gets 403 and no WebSocket;
 * - a custom authorizer, named in the MQTT username (`...?x-amz-customauthorizer-name=<name>`)
 *   or in the upgrade's header or query, with the token as password or `iot-token` header/query.
 * Refusals follow MQTT 3.1.1 as AWS IoT answers them: CONNACK 5 for a refused CONNECT, the
 * connection closed for a forbidden PUBLISH, SUBACK 0x80 for a forbidden subscription, and a
 * message never delivered to a subscriber without iot:Receive on its topic.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type Connection } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { IotResourceKind } from '../../policy/arn.js';
import type { IotAction } from '../../policy/evaluator.js';
import { isPresigned, verifyPresignedRequest } from '../sigv4.js';
import type { DataPlaneAuthority } from '../data-plane.js';
import { identify, type Transport } from './identify.js';
import { clientIdTooLong, topicBeyondLimits } from './mqtt-limits.js';
import { PolicyGate, type Principal } from './principal.js';

export const SIGV4_SERVICE = 'iotdevicegateway';
export const WEBSOCKET_PATH = '/mqtt';

export interface LocalBrokerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Ports; 0 picks a free one; `false` leaves that listener off. */
  mqttsPort?: number | false;
  wsPort?: number | false;
  wssPort?: number | false;
  /** Server key, certificate and the CA that issues client certificates (PEM). */
  tls: { key: string; cert: string; ca: string };
  /** Schedules a custom authorizer's `disconnectAfterInSeconds`; returns a cancel function. */
  schedule?: (delayMs: number, run: () => void) => () => void;
  now?: () => Date;
  /** Told of every refusal, with the reason AWS would show in its logs; never carries secrets. */
  log?: (entry: BrokerRefusal) => void;
}

export interface BrokerRefusal {
  event: 'upgrade-refused' | 'connect-refused' | 'publish-refused' | 'subscribe-refused' | 'delivery-withheld';
  clientId?: string;
  /** Topic or filter, for the packet events. */
  topic?: string;
  reason: string;
}

export interface BrokerAddresses {
  host: string;
  mqttsPort?: number;
  wsPort?: number;
  wssPort?: number;
}

export interface ConnectionMatch {
  clientId?: string;
  certificateId?: string;
  identityId?: string;
}

export const DEFAULT_MQTTS_PORT = 8883;
export const DEFAULT_WS_PORT = 8080;
export const DEFAULT_WSS_PORT = 8443;

interface Session {
  principal: Principal;
  cancelDisconnect?: () => void;
}

/** Emits `disconnected` (clientId) when an authenticated client goes away, for whoever watches connections. */
export class LocalBroker extends EventEmitter<{ disconnected: [clientId: string] }> {
  private aedes: Aedes | undefined;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly transports = new WeakMap<Connection, Transport>();
  private readonly sessions = new Map<Client, Session>();
  private readonly gate: PolicyGate;
  private options: LocalBrokerOptions | undefined;

  constructor(private readonly authority: DataPlaneAuthority) {
    super();
    this.gate = new PolicyGate(authority);
  }

  async start(options: LocalBrokerOptions): Promise<BrokerAddresses> {
    if (this.aedes) throw new Error('the broker is already started');
    this.options = options;
    const aedes = new Aedes({
      // Client ids up to AWS's limit are checked in authenticate; aedes applies its own only to MQTT 3.1.
      maxClientsIdLength: 128,
      heartbeatInterval: 3_600_000,
      authenticate: (client, username, password, done) => void this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => {
        if (client && this.mayPublish(client, packet.topic, packet.retain, packet.qos)) return done(null);
        this.refused({ event: 'publish-refused', clientId: client?.id, topic: packet.topic, reason: 'not authorized: the connection is closed' });
        done(new Error('not authorized'));
      },
      authorizeSubscribe: (client, subscription, done) => {
        if (this.maySubscribe(client, subscription.topic)) return done(null, { ...subscription, qos: Math.min(subscription.qos, 1) as 0 | 1 });
        this.refused({ event: 'subscribe-refused', clientId: client.id, topic: subscription.topic, reason: 'not authorized: SUBACK 0x80' });
        done(null, null);
      },
      authorizeForward: (client, packet) => {
        if (this.allows(client, 'iot:Receive', 'topic', packet.topic)) return packet;
        this.refused({ event: 'delivery-withheld', clientId: client.id, topic: packet.topic, reason: 'no iot:Receive on the topic' });
        return null;
      },
    });
    await aedes.listen();
    this.aedes = aedes;
    aedes.on('clientDisconnect', (client) => this.forget(client));
    aedes.on('clientError', (client) => this.forget(client));
    const host = options.host ?? '127.0.0.1';
    const addresses: BrokerAddresses = { host };
    try {
      if (options.mqttsPort !== false)
        addresses.mqttsPort = await this.listen(this.mqttsServer(options), host, options.mqttsPort ?? DEFAULT_MQTTS_PORT);
      if (options.wsPort !== false)
        addresses.wsPort = await this.listen(this.webSocketServer(createHttpServer(notFound), false), host, options.wsPort ?? DEFAULT_WS_PORT);
      if (options.wssPort !== false) {
        const https = createHttpsServer({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' }, notFound);
        addresses.wssPort = await this.listen(this.webSocketServer(https, true), host, options.wssPort ?? DEFAULT_WSS_PORT);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    return addresses;
  }

  async stop(): Promise<void> {
    const aedes = this.aedes;
    this.aedes = undefined;
    for (const session of this.sessions.values()) session.cancelDisconnect?.();
    this.sessions.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }

  /**
   * Closes the live connections that match every given field (a device deleted, a certificate
   * revoked, a user disabled); resolves with how many were closed. An empty match closes nothing.
   */
  async closeConnections(match: ConnectionMatch): Promise<number> {
    const fields = Object.values(match).filter((value) => value !== undefined);
    if (fields.length === 0) return 0;
    const matching = [...this.sessions.entries()].filter(([client, { principal }]) => {
      if (match.clientId !== undefined && client.id !== match.clientId) return false;
      if (match.certificateId !== undefined && (principal.kind !== 'certificate' || principal.certificateId !== match.certificateId)) return false;
      if (match.identityId !== undefined && (principal.kind !== 'identity' || principal.identityId !== match.identityId)) return false;
      return true;
    });
    await Promise.all(matching.map(([client]) => new Promise<void>((resolve) => client.close(() => resolve()))));
    for (const [client] of matching) this.forget(client);
    return matching.length;
  }

  /** How many clients are connected and authenticated. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  private mqttsServer(options: LocalBrokerOptions): Server {
    // Client certificates are requested, and checked at CONNECT, because a client without one may
    // still come in through a custom authorizer (AWS serves custom authentication on 8883 too).
    const server = createTlsServer(
      { key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      (socket) => this.handle(socket, { id: randomUUID(), tlsSocket: socket }),
    );
    return server;
  }

  private webSocketServer(server: HttpServer, tls: boolean): HttpServer {
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = req.url ?? '/';
      const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
      if (url.split('?')[0] !== WEBSOCKET_PATH) return refuseUpgrade(socket, 404, 'Not Found');
      let signed: Transport['signed'];
      if (isPresigned(query)) {
        const result = verifyPresignedRequest(
          { method: req.method ?? 'GET', path: WEBSOCKET_PATH, query, headers: req.headers },
          { service: SIGV4_SERVICE, region: this.authority.region, now: this.now(), secretFor: (key) => this.authority.credentials(key) },
        );
        if (!result.ok) {
          this.refused({ event: 'upgrade-refused', reason: `SigV4 ${result.refusal}: ${result.message}` });
          return refuseUpgrade(socket, 403, 'Forbidden');
        }
        signed = { accessKeyId: result.accessKeyId, identityId: this.authority.credentials(result.accessKeyId)!.identityId };
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        this.handle(stream, { id: randomUUID(), req, ...(signed ? { signed } : {}), ...(tls ? { tlsSocket: req.socket as TLSSocket } : {}) }, req);
      });
    });
    return server;
  }

  private handle(stream: Connection, transport: Transport, req?: IncomingMessage): void {
    if (!this.aedes) {
      stream.destroy();
      return;
    }
    this.transports.set(stream, transport);
    this.aedes.handle(stream, req);
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): Promise<void> {
    try {
      if (clientIdTooLong(client.id)) {
        this.refused({ event: 'connect-refused', reason: 'client id over 128 bytes' });
        return done(refusal(2), false);
      }
      const transport = this.transports.get(client.conn);
      const connect = { clientId: client.id, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
      const identified = transport && (await identify(this.authority, transport, connect, this.now()));
      const principal = identified?.principal;
      if (!principal || !this.gate.allows(principal, client.id, 'iot:Connect', 'client', client.id)) {
        const reason = principal
          ? `no iot:Connect for this client id (${principal.kind})`
          : 'no valid certificate, signature or custom authorizer answer';
        this.refused({ event: 'connect-refused', clientId: client.id, reason });
        return done(refusal(5), false);
      }
      const session: Session = { principal };
      this.sessions.set(client, session);
      if (identified.disconnectAfterSeconds !== undefined) {
        const schedule = this.options?.schedule ?? defaultSchedule;
        session.cancelDisconnect = schedule(identified.disconnectAfterSeconds * 1000, () => client.close());
      }
      done(null, true);
    } catch (error) {
      this.refused({ event: 'connect-refused', clientId: client.id, reason: `authentication failed: ${(error as Error).message}` });
      done(refusal(5), false);
    }
  }

  private refused(entry: BrokerRefusal): void {
    if (entry.clientId === undefined) delete entry.clientId;
    this.options?.log?.(entry);
  }

  private mayPublish(client: Client, topic: string, retain: boolean, qos: number): boolean {
    // AWS IoT has no QoS 2 and reserves nothing for a broker's $SYS tree.
    if (qos > 1 || topic.startsWith('$SYS/') || topicBeyondLimits(topic)) return false;
    if (!this.allows(client, 'iot:Publish', 'topic', topic)) return false;
    return !retain || this.allows(client, 'iot:RetainPublish', 'topic', topic);
  }

  private maySubscribe(client: Client, filter: string): boolean {
    return !topicBeyondLimits(filter) && this.allows(client, 'iot:Subscribe', 'topicfilter', filter);
  }

  private allows(client: Client | null, action: IotAction, kind: IotResourceKind, name: string): boolean {
    const session = client ? this.sessions.get(client) : undefined;
    return !!client && !!session && this.gate.allows(session.principal, client.id, action, kind, name);
  }

  private forget(client: Client): void {
    const session = this.sessions.get(client);
    if (!session) return;
    session.cancelDisconnect?.();
    this.sessions.delete(client);
    this.emit('disconnected', client.id);
  }

  private listen(server: Server, host: string, port: number): Promise<number> {
    this.servers.push(server);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  private now(): Date {
    return (this.options?.now ?? (() => new Date()))();
  }
}

function refusal(returnCode: 2 | 5): AuthenticateError {
  return Object.assign(new Error(returnCode === 2 ? 'identifier rejected' : 'not authorized'), { returnCode }) as AuthenticateError;
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function notFound(_req: IncomingMessage, res: import('node:http').ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('MQTT over WebSocket is served at /mqtt\n');
}

function defaultSchedule(delayMs: number, run: () => void): () => void {
  const timer = setTimeout(run, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
}
