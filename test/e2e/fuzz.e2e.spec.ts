import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCsr } from '../support/csr.js';
import { query } from '../support/factories.js';
import { registeredDevice, registerSiteDevice } from '../support/http/devices.js';
import {
  bodyArbitrary,
  headerValue,
  operationsOf,
  pathSegment,
  queryArbitrary,
  type FuzzRequest,
  type OpenApiDocument,
  type Operation,
} from '../support/openapi-fuzz.js';
import { ADMIN_KEY, startTestApp } from '../support/test-app.js';
import { admin } from '../support/http/admin.js';
import { idTokenOf } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';

/**
 * Every operation the app documents, fuzzed over HTTP: arbitrary and near-valid bodies, path
 * parameters and query strings, with valid credentials so requests reach the handlers. Nothing may
 * answer 5xx (the AWS fakes are healthy, so not even AWS_THROTTLED or AWS_UNAVAILABLE), and every
 * error is `{ code, message, requestId, details? }` without internals. The operations come from the
 * app's own OpenAPI document, so routes added later are fuzzed without touching this file.
 * fast-check prints the seed and the shrunk request of a failure; FUZZ_SEED replays a run.
 */

const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const AUTHORIZER_SECRET = 'fuzz-authorizer-secret-0123456789abcdef';
const STACK_TRACE = /\n\s+at |node_modules|\.[cm]?[jt]s:\d+|\/work\//;

const t = await startTestApp({ env: { AUTHORIZER_SECRET, LOG_LEVEL: 'warn' } });
const document = (await t.http.get('/docs/openapi.json')).body as OpenApiDocument;
const operations = operationsOf(document);

/** Valid values by parameter name, re-created before each operation since fuzzing may delete or disable them. */
async function seed(): Promise<Record<string, string[]>> {
  const user = await admin(t).get('/v1/users/alice');
  if (user.status === 404) await readyUser(t, 'alice');
  else if (user.body.status === 'DISABLED') await admin(t).post('/v1/users/alice/enable');
  let device = await admin(t).get('/v1/devices/iotp_alice_scanner');
  if (device.status === 404) {
    await registeredDevice(t, 'alice', 'scanner');
    device = await admin(t).get('/v1/devices/iotp_alice_scanner');
  }
  // A site with a device of the same name as alice's, so `name` is valid for both routes that take it.
  await query(t, `INSERT INTO sites (id, name, updated_at) VALUES (gen_random_uuid(), 'dock', now()) ON CONFLICT (name) DO NOTHING`);
  let siteDevice = await admin(t).get('/v1/sites/dock/devices/scanner');
  if (siteDevice.status === 404) {
    await registerSiteDevice(t, 'dock', { name: 'scanner', csr: createTestCsr().csrPem });
    siteDevice = await admin(t).get('/v1/sites/dock/devices/scanner');
  }
  const certificatesOf = (response: { status: number; body: { certificates?: Array<{ certificateId: string }> } }) =>
    response.status === 200 ? response.body.certificates!.map((certificate) => certificate.certificateId) : [];
  const operation = (await admin(t).get('/v1/operations?limit=1')).body.items[0]?.id as string;
  return {
    username: ['alice'],
    thingName: ['iotp_alice_scanner', 'iotp-site_dock_scanner'],
    certificateId: [...certificatesOf(device), ...certificatesOf(siteDevice)],
    site: ['dock'],
    name: ['scanner'],
    id: [operation],
    sub: [t.aws.userPool.user('alice')!.sub],
    'x-authorizer-secret': [AUTHORIZER_SECRET],
    'Idempotency-Key': ['fuzz-key-1'],
  };
}

function requestArbitrary(operation: Operation, valid: Record<string, string[]>): fc.Arbitrary<FuzzRequest> {
  const inPath = operation.parameters.filter((parameter) => parameter.in === 'path');
  const headers = operation.parameters.filter((parameter) => parameter.in === 'header');
  const query = operation.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
  const sendsBody = operation.method !== 'get';
  return fc
    .record({
      segments: fc.tuple(...inPath.map((parameter) => pathSegment(valid[parameter.name] ?? ['x']))),
      query: queryArbitrary(query),
      headerValues: fc.tuple(...headers.map((parameter) => fc.option(headerValue(valid[parameter.name] ?? []), { nil: undefined }))),
      body: sendsBody ? bodyArbitrary(operation.body, document.components.schemas) : fc.constant(undefined),
    })
    .map(({ segments, query, headerValues, body }) => {
      let path = operation.path;
      inPath.forEach((parameter, index) => (path = path.replace(`{${parameter.name}}`, segments[index]!)));
      const extra = Object.fromEntries(
        headers.flatMap((parameter, index) => (headerValues[index] === undefined ? [] : [[parameter.name, headerValues[index]!]])),
      );
      return described({ url: path + query, headers: { ...credentialsFor(operation), ...extra }, body });
    });
}

/** How fast-check prints a counterexample: long bodies cut, so the report stays readable. */
function described(request: FuzzRequest): FuzzRequest {
  const text = request.body?.text ?? '';
  const body = request.body
    ? ` ${request.body.contentType} ${JSON.stringify(text.slice(0, 300))}${text.length > 300 ? `... (${text.length} characters)` : ''}`
    : '';
  return Object.assign(request, { [fc.toStringMethod]: () => `${request.url.slice(0, 300)} ${JSON.stringify(request.headers)}${body}` });
}

/** Admin routes get the admin key, app routes alice's ID token: fuzzing that stops at the guard proves little. */
function credentialsFor(operation: Operation): Record<string, string> {
  if (operation.security.includes('admin-api-key')) return { 'x-api-key': ADMIN_KEY };
  if (operation.security.includes('cognito-bearer')) return { authorization: `Bearer ${idTokenOf(t.aws, 'alice')}` };
  return {};
}

async function send(operation: Operation, request: FuzzRequest) {
  let call = t.http[operation.method](request.url);
  for (const [name, value] of Object.entries(request.headers)) call = call.set(name, value);
  if (request.body) call = call.set('content-type', request.body.contentType).send(request.body.text);
  return call;
}

/** Throws (so fast-check shrinks and reports) when the answer breaks the contract. */
function checkAnswer(response: { status: number; body: unknown; text: string }): void {
  const problem = answerProblem(response);
  if (problem) throw new Error(`${problem}: ${response.status} ${response.text.slice(0, 500)}`);
}

function answerProblem({ status, body, text }: { status: number; body: unknown; text: string }): string | undefined {
  if (status >= 500) return 'a server error';
  if (STACK_TRACE.test(text)) return 'internals in the answer';
  if (status < 400) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'an error that is not a JSON object';
  const { code, message, requestId, details, ...rest } = body as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string' || typeof requestId !== 'string') return 'an error without code, message and requestId';
  if (details !== undefined && (typeof details !== 'object' || details === null || Array.isArray(details)))
    return 'error details that are not an object';
  if (Object.keys(rest).length > 0) return `unexpected error fields ${Object.keys(rest).join(', ')}`;
  return undefined;
}

describe('fuzzing every route of the OpenAPI document', () => {
  afterAll(async () => t.close());

  it('documents the routes it fuzzes', () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`)).toEqual(
      expect.arrayContaining(['POST /v1/users', 'GET /v1/sessions/credentials', 'GET /v1/admin/drift', 'POST /v1/admin/drift/repair']),
    );
  });

  it.each(operations.map((operation) => [`${operation.method.toUpperCase()} ${operation.path}`, operation] as const))(
    '%s never answers 5xx and always errs in shape',
    async (_name, operation) => {
      const valid = await seed();
      await fc.assert(
        fc.asyncProperty(requestArbitrary(operation, valid), async (request) => checkAnswer(await send(operation, request))),
        { numRuns: RUNS_PER_OPERATION, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    },
    120_000,
  );
});
