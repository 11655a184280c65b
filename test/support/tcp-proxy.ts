import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy to put between the app and Postgres, to take the database away and bring it back
 * without the app knowing: `stop()` refuses new connections and cuts the open ones (Postgres
 * crashed, or a network outage the kernel reports); `blackhole()` keeps every connection open but
 * lets no byte through either way (a partition that drops packets); `start()` restores service on
 * the same port.
 */
export class TcpProxy {
  private server?: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private dropping = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy to the server of this database URL. */
  static to(url: string): TcpProxy {
    const parsed = new URL(url);
    return new TcpProxy(parsed.hostname, Number(parsed.port || 5432));
  }

  /** The same URL (user, database, parameters) through the proxy; call after start(). */
  through(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  async start(): Promise<void> {
    this.dropping = false;
    if (this.server) return;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  /** Closes the listener (new connections are refused) and destroys every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Connections stay up and new ones are accepted, but nothing passes in either direction. */
  blackhole(): void {
    this.dropping = true;
  }

  get connections(): number {
    return this.pairs.size;
  }

  private accept(client: Socket): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (!this.dropping) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.dropping) client.write(chunk);
    });
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }
}
