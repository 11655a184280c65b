import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { IdentityPoolPort } from '../../src/aws/identity-pool.port.js';
import { IotPort } from '../../src/aws/iot.port.js';
import { UserPoolPort } from '../../src/aws/user-pool.port.js';
import { DomainError, type ErrorDetails } from '../../src/common/errors/domain-error.js';
import type { ErrorCode } from '../../src/common/errors/error-codes.js';
import { loadConfig } from '../../src/config/app-config.js';
import { bootApp } from './boot-app.js';

/**
 * The real service as a child process (see service-process.ts), with its three AWS ports bound
 * to proxies that forward every call over IPC to the parent test process, which holds the fakes:
 * AWS state outlives the child, so the parent can SIGKILL it at any call and start another.
 * Compiled with tsc and run by plain Node: no vitest, no test fakes in here.
 */

export type PortName = 'iot' | 'userPool' | 'identityPool';

export interface AwsCallMessage {
  kind: 'aws';
  id: number;
  port: PortName;
  method: string;
  args: unknown[];
}

export interface AwsReplyMessage {
  kind: 'aws';
  id: number;
  result?: unknown;
  error?: { message: string; domain?: { code: ErrorCode; details?: ErrorDetails; retryAfterSeconds?: number } };
}

export interface ListeningMessage {
  kind: 'listening';
  port: number;
}

const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextId = 0;

process.on('message', (message: AwsReplyMessage) => {
  if (message?.kind !== 'aws') return;
  const call = pending.get(message.id);
  if (!call) return;
  pending.delete(message.id);
  if (!message.error) return call.resolve(message.result);
  const { domain, message: text } = message.error;
  call.reject(domain ? new DomainError(domain.code, text, domain.details, domain.retryAfterSeconds) : new Error(text));
});

/** An object with the port's methods, each a round trip to the parent. */
function remotePort(port: PortName, methods: string[]): object {
  const proxy: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of methods) {
    proxy[method] = (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        process.send!({ kind: 'aws', id, port, method, args } satisfies AwsCallMessage);
      });
  }
  return proxy;
}

async function main(): Promise<void> {
  const methods = JSON.parse(process.env.CHILD_PORT_METHODS ?? '{}') as Record<PortName, string[]>;
  const config = loadConfig(process.env);
  const app = await bootApp({
    config,
    replace: [
      { provide: IotPort, useValue: remotePort('iot', methods.iot) },
      { provide: UserPoolPort, useValue: remotePort('userPool', methods.userPool) },
      { provide: IdentityPoolPort, useValue: remotePort('identityPool', methods.identityPool) },
    ],
  });
  await app.listen(0, '127.0.0.1');
  process.send!({ kind: 'listening', port: (app.getHttpServer().address() as AddressInfo).port } satisfies ListeningMessage);
}

main().catch((error: unknown) => {
  process.stderr.write(`child service failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
