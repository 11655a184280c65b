import { execFile, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { isDomainError } from '../../src/common/errors/domain-error.js';
import type { FakeAws } from '../fakes/fake-aws.js';
import type { AwsCallMessage, AwsReplyMessage, ListeningMessage, PortName } from './child-service.js';
import { ADMIN_KEY } from './test-app.js';

/**
 * Runs the service as a real child process (test/support/child-service.ts) whose AWS calls come
 * to this process over IPC and are served by the FakeAws held here: the child can be SIGKILLed
 * at any AWS call, before it reaches AWS or after AWS acted, and its AWS state survives it.
 */

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Compiles src and the child entry with tsc (emit only: vitest's transform is not available to a
 * forked process) into a directory under .data, inside the repository so that Node finds
 * node_modules and package.json's "type": "module". About 10 s.
 */
export async function buildChildService(): Promise<{ entry: string; remove(): Promise<void> }> {
  const dir = join(ROOT, '.data', `child-build-${process.pid}-${Date.now().toString(36)}`);
  await mkdir(dir, { recursive: true });
  const tsconfig = join(dir, 'tsconfig.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { rootDir: ROOT, outDir: join(dir, 'out'), sourceMap: false, noEmitOnError: false },
      include: [join(ROOT, 'src/**/*.ts'), join(ROOT, 'test/support/child-service.ts')],
    }),
  );
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  // --noCheck: emit only; type errors are the typecheck script's business, not this harness's.
  await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig, '--noCheck'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return { entry: join(dir, 'out/test/support/child-service.js'), remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface AwsCall {
  port: PortName;
  method: string;
  args: unknown[];
}

/** What to do with one AWS call of the child: serve it, or SIGKILL the child before or after AWS acts. */
export type CallDecision = 'serve' | 'kill-before' | 'kill-after';

export interface ServiceProcessOptions {
  entry: string;
  aws: FakeAws;
  databaseUrl: string;
  env?: Record<string, string>;
  /** Consulted for every AWS call the child makes; can be replaced later through `onAwsCall`. */
  onAwsCall?: (call: AwsCall) => CallDecision;
}

export class ServiceProcess {
  readonly url: string;
  /** Decides, for each AWS call of the child, whether to serve it or to kill the child. */
  onAwsCall: (call: AwsCall) => CallDecision = () => 'serve';

  private constructor(
    private readonly child: ChildProcess,
    port: number,
    private readonly exited: Promise<unknown>,
    private readonly output: { text: string },
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    const { aws } = options;
    const methods = Object.fromEntries((['iot', 'userPool', 'identityPool'] as const).map((port) => [port, methodsOf(aws[port])])) as Record<
      PortName,
      string[]
    >;
    const child = fork(options.entry, [], {
      cwd: ROOT,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        ADMIN_API_KEYS: ADMIN_KEY,
        DATABASE_URL: options.databaseUrl,
        DATABASE_MIGRATE_ON_START: 'false',
        IOT_ENDPOINT: 'test-ats.iot.eu-west-1.amazonaws.com',
        ...aws.env(),
        CHILD_PORT_METHODS: JSON.stringify(methods),
        ...options.env,
      },
    });
    const exited = once(child, 'exit');
    const output = { text: '' };
    child.stdout!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    let decide = options.onAwsCall ?? (() => 'serve');
    const listening = new Promise<number>((resolveListening, reject) => {
      child.on('message', (message: AwsCallMessage | ListeningMessage) => {
        if (message.kind === 'listening') return resolveListening(message.port);
        void serve(child, aws, message, decide);
      });
      void exited.then(() => reject(new Error(`the child service exited before listening:\n${output.text}`)));
    });
    const started = new ServiceProcess(child, await listening, exited, output);
    started.onAwsCall = decide;
    // Calls arriving from now on ask whatever decider the test has set.
    decide = (call) => started.onAwsCall(call);
    return started;
  }

  /** What the child wrote to stdout and stderr, for failure messages. */
  get logs(): string {
    return this.output.text;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the child is gone (killed here or in onAwsCall). */
  async exit(): Promise<void> {
    await this.exited;
  }

  /** SIGTERM, as an orchestrator stops a container: the service shuts down cleanly. */
  async terminate(): Promise<void> {
    if (this.alive) this.child.kill('SIGTERM');
    await this.exited;
  }

  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** An admin request to the child; a killed child answers with a network error (status 0). */
  async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    try {
      const response = await fetch(`${this.url}${path}`, {
        method,
        headers: { 'x-api-key': ADMIN_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    } catch {
      return { status: 0, body: undefined };
    }
  }
}

/** The port methods the fakes implement (everything on their prototype chain below the port class). */
function methodsOf(fake: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(fake); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof (fake as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names];
}

async function serve(child: ChildProcess, aws: FakeAws, call: AwsCallMessage, decide: (call: AwsCall) => CallDecision): Promise<void> {
  const decision = decide({ port: call.port, method: call.method, args: call.args });
  if (decision === 'kill-before') {
    child.kill('SIGKILL');
    return;
  }
  const port = aws[call.port] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  let reply: AwsReplyMessage;
  try {
    reply = { kind: 'aws', id: call.id, result: await port[call.method]!(...call.args) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = isDomainError(error)
      ? {
          kind: 'aws',
          id: call.id,
          error: { message, domain: { code: error.code, details: error.details, retryAfterSeconds: error.retryAfterSeconds } },
        }
      : { kind: 'aws', id: call.id, error: { message } };
  }
  if (decision === 'kill-after') {
    child.kill('SIGKILL');
    return;
  }
  if (child.connected) child.send(reply);
}
