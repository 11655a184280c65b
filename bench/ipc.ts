import { readFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';

/**
 * Request/reply over the IPC channel of a forked child: the load generator stays in the parent,
 * the server under test has an event loop (and a core) of its own.
 */

interface CommandMessage {
  id: number;
  command: string;
  args?: unknown;
}

interface ReplyMessage {
  id: number;
  result?: unknown;
  error?: string;
}

interface ReadyMessage {
  ready: { url: string };
}

export type Handlers = Record<string, (args: never) => unknown>;

const BOOT_TIMEOUT_MS = 120_000;
const CALL_TIMEOUT_MS = 120_000;

/** Parent side: a running child that announced its URL. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly process: ChildProcess,
    readonly url: string,
  ) {
    process.on('message', (message: ReplyMessage) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
    process.on('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`child exited with code ${code}`));
      this.pending.clear();
    });
  }

  static start(script: URL, env: Record<string, string> = {}, execArgv: string[] = []): Promise<Child> {
    // The child's stdout is dropped (the parent's stdout carries only the JSON result); stderr shows crashes.
    // Messages are structured clones, so Dates (an AWS answer's) arrive as Dates.
    const child = fork(script, [], {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      // run.ts's --node: the servers under test on another Node binary (the container's), the load generator on this one.
      execPath: process.env.BENCH_NODE ?? process.execPath,
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${script.pathname} did not start within ${BOOT_TIMEOUT_MS} ms`)), BOOT_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill();
        reject(error);
      };
      child.once('exit', (code) => fail(new Error(`${script.pathname} exited during start-up with code ${code}`)));
      child.once('message', (message: ReadyMessage) => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(new Child(child, message.ready.url));
      });
    });
  }

  call<T>(command: string, args?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${command} got no reply within ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value as T)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      // With a callback, a closed channel (the child gone at shutdown) rejects this call instead of crashing the process.
      this.process.send({ id, command, args } satisfies CommandMessage, (error) => {
        if (!error) return;
        this.pending.delete(id);
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Asks the child to shut down cleanly (it stops its Postgres), then kills it if it lingers. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    await this.call('stop').catch(() => undefined);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Child side: announce the URL, answer commands; `stop` runs shutdown and exits. */
export function serveCommands(url: string, handlers: Handlers, shutdown: () => Promise<void>): void {
  const send = process.send!.bind(process);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= shutdown().finally(() => process.exit(0)));
  process.on('message', async (message: CommandMessage) => {
    if (message.command === 'stop') {
      send({ id: message.id, result: null } satisfies ReplyMessage, () => void stop());
      return;
    }
    const handler = handlers[message.command];
    try {
      if (!handler) throw new Error(`unknown command ${message.command}`);
      const result = await handler(message.args as never);
      send({ id: message.id, result: result ?? null } satisfies ReplyMessage);
    } catch (error) {
      send({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ReplyMessage);
    }
  });
  // The parent went away (crash, Ctrl-C): do not leave a server or a Postgres behind.
  process.on('disconnect', () => void stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop());
  send({ ready: { url } } satisfies ReadyMessage);
}

/** CPU time this process has used, user and system, in microseconds. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Linux's clock ticks per second for /proc times (USER_HZ, 100 on every mainstream kernel). */
const USER_HZ = 100;

/**
 * CPU time of this process's main thread (the event loop: JavaScript, syscalls) in microseconds,
 * from /proc/self/task (10 ms resolution); undefined where there is no /proc. The rest of the
 * process's CPU time is its other threads': V8's garbage-collection helpers and libuv's pool.
 */
export function mainThreadCpuMicros(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat; `fields` starts at field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of this process in bytes: getrusage's maxrss, the same figure as VmHWM in /proc/self/status. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
