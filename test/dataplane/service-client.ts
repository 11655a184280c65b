/**
 * What the data-plane scenarios know of the service: its HTTP API at a base URL and the MQTT
 * endpoint its `mqtt` blocks name. Nothing here reaches into the process, so the same code runs
 * against the local IoT Core and against a deployment on AWS.
 */
import { isIP } from 'node:net';
import type { MqttClient } from 'mqtt';
import { createTestCsr } from '../support/csr.js';
import { deviceSdkUrl, type SigningCredentials } from '../support/iot-websocket-url.js';
import { open } from '../support/mqtt-clients.js';

export interface MqttBlock {
  endpoint: string;
  websocketUrl: string;
  mqttsUrl: string;
  region: string;
  clientId: string;
  topicPrefix: string;
  /** A site's device only: where it hears its commands. */
  commandsPrefix?: string;
}

export interface DataPlaneTarget {
  /** The service's base URL, without /v1. */
  baseUrl: string;
  adminKey: string;
  /** Prefix of the names this run creates, unique per run (usernames start with it). */
  runId: string;
  /** The service's RESOURCE_PREFIX (thing names are `<prefix>_<user>_<device>`). */
  resourcePrefix: string;
  /**
   * How long a refusal that follows a revocation may take to show. 0 on the local IoT Core, which
   * reads policies and certificate status again for every packet; AWS caches policies for 6–8 minutes.
   */
  revocationWaitMs: number;
  /** The local IoT Core answers exactly as its README documents; AWS may end a refused TLS client with a handshake error instead of a CONNACK. */
  strict: boolean;
}

export interface SignedInUser {
  username: string;
  credentials: SigningCredentials & { expiration?: string };
  identityId: string;
  idToken: string;
  mqtt: MqttBlock;
}

export interface RegisteredDevice {
  owner: string;
  name: string;
  thingName: string;
  certificateId: string;
  certificatePem: string;
  keyPem: string;
  mqtt: MqttBlock;
}

export class ServiceClient {
  private readonly users = new Set<string>();
  private readonly sites = new Set<string>();
  private caPem?: string;

  constructor(readonly target: DataPlaneTarget) {}

  // The answers are JSON of many shapes; the scenarios assert on the fields they read.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.target.baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // a PEM or an empty answer
    }
    return { status: response.status, body: parsed };
  }

  admin(method: string, path: string, body?: unknown) {
    return this.request(method, path, body, { 'x-api-key': this.target.adminKey });
  }

  /** `<runId>-<name>`: every name this run creates carries the run's id, so cleanup finds them all. */
  name(name: string): string {
    return `${this.target.runId}-${name}`;
  }

  async ca(): Promise<string> {
    if (this.caPem) return this.caPem;
    const answer = await this.request('GET', '/v1/mqtt/ca');
    if (answer.status !== 200) throw new Error(`GET /v1/mqtt/ca answered ${answer.status}`);
    this.caPem = answer.body as string;
    return this.caPem;
  }

  /** Creates the user and signs it in through the new-password challenge. */
  async createUser(name: string): Promise<SignedInUser> {
    const username = this.name(name);
    const created = await this.admin('POST', '/v1/users', { username, temporaryPassword: 'Temp-Passw0rd!1' });
    if (created.status !== 201) throw new Error(`POST /v1/users answered ${created.status} ${JSON.stringify(created.body)}`);
    this.users.add(username);
    const challenge = await this.request('POST', '/v1/sessions', { username, password: 'Temp-Passw0rd!1' });
    if (challenge.body?.challenge !== 'NEW_PASSWORD_REQUIRED')
      throw new Error(`sign-in answered ${challenge.status} ${JSON.stringify(challenge.body)}`);
    const session = await this.request('POST', '/v1/sessions/challenge', {
      username,
      session: challenge.body.session,
      newPassword: 'New-Passw0rd!1',
    });
    if (session.status !== 200) throw new Error(`challenge answered ${session.status} ${JSON.stringify(session.body)}`);
    return {
      username,
      credentials: session.body.credentials,
      identityId: session.body.identityId,
      idToken: session.body.tokens.idToken,
      mqtt: session.body.mqtt,
    };
  }

  /** Signs in again with the password the challenge set. */
  signIn(username: string) {
    return this.request('POST', '/v1/sessions', { username, password: 'New-Passw0rd!1' });
  }

  /** Registers a device from a CSR; the key stays here, as on a device. */
  async registerDevice(owner: string, name: string): Promise<RegisteredDevice> {
    const csr = createTestCsr({ commonName: name });
    const answer = await this.admin('POST', `/v1/users/${owner}/devices`, { name, csr: csr.csrPem });
    if (answer.status !== 201) throw new Error(`device registration answered ${answer.status} ${JSON.stringify(answer.body)}`);
    return {
      owner,
      name,
      thingName: answer.body.thingName ?? answer.body.mqtt.clientId,
      certificateId: answer.body.certificate.certificateId,
      certificatePem: answer.body.certificate.certificatePem,
      keyPem: csr.privateKeyPem,
      mqtt: answer.body.mqtt,
    };
  }

  /** Creates a site named `<runId>-<name>`; it is deleted (with its devices) before the users at cleanup. */
  async createSite(name: string): Promise<string> {
    const site = this.name(name);
    const created = await this.admin('POST', '/v1/sites', { name: site });
    if (created.status !== 201) throw new Error(`POST /v1/sites answered ${created.status} ${JSON.stringify(created.body)}`);
    this.sites.add(site);
    return site;
  }

  /** Adds the user to the site, or changes their role; answers once their policies in AWS say so. */
  async setMember(site: string, username: string, role: 'member' | 'operator'): Promise<void> {
    const answer = await this.admin('PUT', `/v1/sites/${site}/members/${username}`, { role });
    if (answer.status !== 200) throw new Error(`adding ${username} to ${site} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  async removeMember(site: string, username: string): Promise<void> {
    const answer = await this.admin('DELETE', `/v1/sites/${site}/members/${username}`);
    if (answer.status !== 200) throw new Error(`removing ${username} from ${site} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  /** Registers a site's device from a CSR; the key stays here, as on a device. */
  async registerSiteDevice(site: string, name: string): Promise<RegisteredDevice> {
    const csr = createTestCsr({ commonName: name });
    const answer = await this.admin('POST', `/v1/sites/${site}/devices`, { name, csr: csr.csrPem });
    if (answer.status !== 201) throw new Error(`site device registration answered ${answer.status} ${JSON.stringify(answer.body)}`);
    return {
      owner: site,
      name,
      thingName: answer.body.thingName,
      certificateId: answer.body.certificate.certificateId,
      certificatePem: answer.body.certificate.certificatePem,
      keyPem: csr.privateKeyPem,
      mqtt: answer.body.mqtt,
    };
  }

  /** MQTT over WebSocket, the URL presigned as the AWS IoT Device SDK presigns it (re-signed on every attempt). */
  async openUser(user: Pick<SignedInUser, 'credentials' | 'mqtt'>, clientId = user.mqtt.clientId): Promise<MqttClient> {
    const url = new URL(user.mqtt.websocketUrl);
    const scheme = url.protocol === 'ws:' ? 'ws' : 'wss';
    const sign = () => deviceSdkUrl({ credentials: user.credentials, region: user.mqtt.region, host: url.host || url.hostname, scheme });
    return open(user.mqtt.websocketUrl, { clientId, ca: await this.ca(), ...serverName(url.hostname), transformWsUrl: sign });
  }

  /** MQTT over TLS with the device's certificate and key. */
  async openDevice(device: Pick<RegisteredDevice, 'certificatePem' | 'keyPem' | 'mqtt'>, clientId = device.mqtt.clientId): Promise<MqttClient> {
    const url = new URL(device.mqtt.mqttsUrl);
    return open(device.mqtt.mqttsUrl, {
      clientId,
      key: device.keyPem,
      cert: device.certificatePem,
      ca: await this.ca(),
      ...serverName(url.hostname),
      rejectUnauthorized: true,
    });
  }

  /**
   * Deletes every site this client created (their devices go with them, and their grants leave the
   * members' policies), then every user (with their devices); errors are collected, not thrown early.
   */
  async cleanup(): Promise<string[]> {
    const failures: string[] = [];
    for (const site of this.sites) {
      const answer = await this.admin('DELETE', `/v1/sites/${site}`).catch((error: unknown) => ({ status: 0, body: String(error) }));
      if (answer.status === 204 || answer.status === 404) this.sites.delete(site);
      else failures.push(`site ${site}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    for (const username of this.users) {
      const answer = await this.admin('DELETE', `/v1/users/${username}`).catch((error: unknown) => ({ status: 0, body: String(error) }));
      if (answer.status === 204 || answer.status === 404) this.users.delete(username);
      else failures.push(`${username}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return failures;
  }

  forget(username: string): void {
    this.users.delete(username);
  }
}

/** TLS SNI names a host, never an address (RFC 6066): AWS's endpoint gets it, 127.0.0.1 does not. */
function serverName(hostname: string): { servername?: string } {
  return isIP(hostname) ? {} : { servername: hostname };
}
