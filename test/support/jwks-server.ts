import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serves a JWKS over plain HTTP on loopback, counting fetches (the service should fetch once per key set). */
export class JwksServer {
  requests = 0;
  private server?: Server;

  constructor(private readonly jwks: () => unknown) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.requests++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.jwks()));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
