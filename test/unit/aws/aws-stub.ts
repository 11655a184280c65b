import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A local HTTP server that answers as AWS does, so the real SDK clients, with their whole
 * middleware stack (retries included), can be pointed at it through AWS_ENDPOINT_URL:
 * - AWS IoT speaks restJson1: the API is the method and path; errors carry their name in the
 *   x-amzn-ErrorType header and the status of the model (LimitExceededException 410,
 *   ThrottlingException 400, ServiceUnavailableException 503, ...).
 * - Cognito speaks awsJson1_1: the API is the X-Amz-Target header; errors are HTTP 400 (500 for
 *   internal errors) with the name in the body's __type.
 */

export type StubAnswer =
  | { ok: unknown }
  | { iotError: string; status: number }
  | { cognitoError: string; status?: number }
  /** Accept the request and never answer: the client's request timeout ends it. */
  | 'hang';

const IOT_ROUTES: Array<[method: string, path: RegExp, api: string]> = [
  ['POST', /^\/keys-and-certificate/, 'CreateKeysAndCertificate'],
  ['POST', /^\/certificates/, 'CreateCertificateFromCsr'],
  ['PUT', /^\/target-policies\//, 'AttachPolicy'],
  ['POST', /^\/things\//, 'CreateThing'],
];

export class AwsStub {
  /** The API of every request received, in order. */
  readonly requests: string[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  /** answer(api, n) decides the n-th (1-based) response to that API. */
  constructor(private readonly answer: (api: string, attempt: number) => StubAnswer) {}

  count(api: string): number {
    return this.requests.filter((name) => name === api).length;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      request.resume();
      request.on('end', () => this.respond(request, response));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private respond(request: IncomingMessage, response: ServerResponse): void {
    const api = apiOf(request);
    this.requests.push(api);
    const answer = this.answer(api, this.count(api));
    if (answer === 'hang') return;
    if ('ok' in answer) {
      const cognito = request.headers['x-amz-target'] !== undefined;
      response.writeHead(200, { 'content-type': cognito ? 'application/x-amz-json-1.1' : 'application/json' });
      response.end(JSON.stringify(answer.ok));
      return;
    }
    if ('iotError' in answer) {
      response.writeHead(answer.status, { 'content-type': 'application/json', 'x-amzn-errortype': answer.iotError });
      response.end(JSON.stringify({ message: `${answer.iotError} from the stub` }));
      return;
    }
    response.writeHead(answer.status ?? 400, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify({ __type: answer.cognitoError, message: `${answer.cognitoError} from the stub` }));
  }
}

function apiOf(request: IncomingMessage): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop()!;
  const route = IOT_ROUTES.find(([method, path]) => method === request.method && path.test(request.url ?? ''));
  return route ? route[2] : `${request.method} ${request.url}`;
}
