import type { Provider } from '@nestjs/common';
import { IdentityPoolPort } from '../src/aws/identity-pool.port.js';
import { IotConnectionsPort } from '../src/aws/iot-connections.port.js';
import { IotPort } from '../src/aws/iot.port.js';
import { UserPoolPort } from '../src/aws/user-pool.port.js';
import { DomainError, type ErrorDetails } from '../src/common/errors/domain-error.js';
import type { ErrorCode } from '../src/common/errors/error-codes.js';
import { Child } from './ipc.js';

/** A call of one port method, sent to the fakes' process. */
export interface PortCall {
  port: PortName;
  method: string;
  args: unknown[];
}

/** What the method returned, or the DomainError it threw, as data. */
export type PortReply =
  { result: unknown; error?: undefined } | { error: { code: ErrorCode; message: string; details?: ErrorDetails; retryAfterSeconds?: number } };

/** A user as seeded: the pool user's sub, its ID token, and its identity when it signed in once. */
export interface SeededPoolUser {
  username: string;
  sub: string;
  idToken: string;
  identityId?: string;
}

/** One user of a bulk fleet load: its policy, and its devices' things, certificates and policies. */
export interface FleetUser {
  username: string;
  policy: { name: string; document: string };
  devices: Array<{ thingName: string; policy: { name: string; document: string } }>;
}

export interface FleetDevice {
  thingArn: string;
  certificateId: string;
  certificateArn: string;
}

/** The fakes' heap limit: the scale run's fleet of 300,000 devices fits with room to spare. */
const FAKES_HEAP_LIMIT_MB = 6144;

export type PortName = 'iot' | 'connections' | 'userPool' | 'identityPool';

/**
 * The service's side of bench/aws-fakes.ts: the four AWS ports, each an object whose methods (the
 * fake's own, by name) send the call over IPC and answer with what the fake answered, a DomainError
 * rebuilt as one. As with the real adapters, every AWS call crosses a process boundary.
 */
export class RemoteAws {
  private constructor(
    readonly fakes: Child,
    private readonly methods: Record<PortName, string[]>,
  ) {}

  static async start(env: Record<string, string>): Promise<RemoteAws> {
    // Flags of their own, not the service's (a fork inherits them): a whole fleet's state outgrows V8's default heap limit.
    const fakes = await Child.start(new URL('./aws-fakes.js', import.meta.url), env, [`--max-old-space-size=${FAKES_HEAP_LIMIT_MB}`]);
    return new RemoteAws(fakes, await fakes.call<Record<PortName, string[]>>('portMethods'));
  }

  /** The JWKS of the fake pool's signing key. */
  get jwksUrl(): string {
    return this.fakes.url;
  }

  providers(): Provider[] {
    return [
      { provide: IotPort, useValue: this.port('iot') },
      { provide: IotConnectionsPort, useValue: this.port('connections') },
      { provide: UserPoolPort, useValue: this.port('userPool') },
      { provide: IdentityPoolPort, useValue: this.port('identityPool') },
    ];
  }

  private port(port: PortName): object {
    return Object.fromEntries(this.methods[port].map((method) => [method, (...args: unknown[]) => this.call({ port, method, args })]));
  }

  private async call(call: PortCall): Promise<unknown> {
    const reply = await this.fakes.call<PortReply>('port', call);
    if (reply.error) throw new DomainError(reply.error.code, reply.error.message, reply.error.details, reply.error.retryAfterSeconds);
    return reply.result;
  }
}
