import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { admin } from '../support/http/admin.js';

/** Inputs the fuzz test found answering 500 or in Fastify's error shape, pinned. */
describe('input at the edges', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  /** 400 VALIDATION_FAILED in the one error shape, with the request id the response header carries. */
  const expectError = (response: { status: number; body: Record<string, unknown>; headers: Record<string, string> }) => {
    expect(response.status).toBe(400);
    const { code, message, requestId, details: _details, ...rest } = response.body;
    expect({ code, message: typeof message, requestId, rest }).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'string',
      requestId: response.headers['x-request-id'],
      rest: {},
    });
  };
  const cursorOf = (key: string) => Buffer.from(JSON.stringify(key)).toString('base64url');

  it("answers a malformed percent-encoding and an over-long path parameter in the service's error shape", async () => {
    for (const path of ['/v1/devices/%80', '/v1/users/%/devices', `/v1/devices/${'a'.repeat(129)}`]) expectError(await admin(t).get(path));
  });

  it("accepts thing names up to AWS's 128 characters in paths (Fastify's default limit is 100)", async () => {
    const longest = `iotp_${'a'.repeat(48)}_${'b'.repeat(48)}`;
    const response = await admin(t).get(`/v1/devices/${longest}`);
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
  });

  it('refuses NUL characters, which PostgreSQL text cannot hold, before they reach a query', async () => {
    expectError(await admin(t).get('/v1/users/%00/devices'));
    expectError(await admin(t).get('/v1/devices/a%00b'));
    const signIn = await t.http.post('/v1/sessions').send({ username: 'alice\u0000', password: 'whatever-1' });
    expectError(signIn);
    expect(signIn.body.details).toEqual({ field: 'username' });
    expectError(await admin(t).get(`/v1/users?cursor=${cursorOf('\u0000')}`));
  });

  it('refuses lone UTF-16 surrogates, which are not text (the email validator threw on them)', async () => {
    const response = await admin(t).post('/v1/users').send({ username: 'dora', email: '\ud800', temporaryPassword: 'Temp-Passw0rd!' });
    expectError(response);
    expect(response.body.details).toEqual({ field: 'email' });
    expectError(await admin(t).post('/v1/users').send({ username: 'dora', temporaryPassword: 'Temp-\udc00Passw0rd!' }));
  });

  it('refuses a cursor of a key this service never issues', async () => {
    expectError(await admin(t).get(`/v1/operations?cursor=${cursorOf('alice')}`));
  });

  it('refuses JSON nested deeper than any request needs, before anything walks it', async () => {
    for (const body of ['['.repeat(20_000) + ']'.repeat(20_000), `{"username":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_001)}`]) {
      const response = await t.http.post('/v1/sessions').set('content-type', 'application/json').send(body);
      expectError(response);
      expect(response.body.details).toEqual({ maxDepth: 32 });
    }
    const idempotent = await admin(t)
      .post('/v1/users')
      .set('idempotency-key', 'deep-1')
      .set('content-type', 'application/json')
      .send(`{"a":${'['.repeat(40)}${']'.repeat(40)}}`);
    expectError(idempotent);
  });

  it('still refuses prototype poisoning in JSON bodies', async () => {
    const response = await t.http
      .post('/v1/sessions')
      .set('content-type', 'application/json')
      .send('{"__proto__":{"polluted":true},"username":"a","password":"b"}');
    expect(response.status).toBe(400);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses bidirectional control characters in every text field, naming the field', async () => {
    const rlo = '\u202e';
    const email = await admin(t)
      .post('/v1/users')
      .send({ username: 'dora', email: `moc.liame${rlo}@example.com`, temporaryPassword: 'Temp-Passw0rd!' });
    expectError(email);
    expect(email.body.details).toEqual({ field: 'email' });
    expect(email.body.message).toContain('bidirectional control characters');
    for (const mark of ['\u061c', '\u200e', '\u200f', '\u202a', '\u202d', '\u2066', '\u2069']) {
      const signIn = await t.http.post('/v1/sessions').send({ username: `alice${mark}`, password: 'whatever-1' });
      expectError(signIn);
      expect(signIn.body.details).toEqual({ field: 'username' });
    }
    const attribute = await admin(t)
      .post('/v1/users/dora/devices')
      .send({ name: 'lamp', attributes: { room: `kit${rlo}chen` } });
    expectError(attribute);
    expect(attribute.body.details).toEqual({ field: 'attributes.room' });
    expectError(await admin(t).get(`/v1/users/dora${encodeURIComponent(rlo)}/devices`));
    expect((await admin(t).post('/v1/users').send({ username: 'dora', email: 'dora@example.com', temporaryPassword: 'Temp-Passw0rd!' })).status).toBe(
      201,
    );
  });

  it('accepts JSON bodies only: a form-encoded or text sign-in is 415 in the error shape, before Cognito hears of it', async () => {
    t.aws.resetCalls();
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'username=alice&password=whatever-1'],
      ['text/plain', '{"username":"alice","password":"whatever-1"}'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n--x--'],
    ]) {
      const response = await t.http.post('/v1/sessions').set('content-type', type).send(body);
      expect(response.status).toBe(415);
      expect(response.body).toEqual({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Send the request body as application/json',
        requestId: response.headers['x-request-id'],
      });
    }
    expect(t.aws.calls).toEqual([]);
    expect(
      (await t.http.post('/v1/sessions').set('content-type', 'application/json; charset=utf-8').send('{"username":"nobody","password":"whatever-1"}'))
        .status,
    ).toBe(401);
  });

  it('answers oversized headers with 431 in the error shape, with a request id', async () => {
    const response = await t.http.get('/health/live').set('x-padding', 'a'.repeat(20_000));
    expect(response.status).toBe(431);
    expect(response.body).toEqual({ code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large', requestId: expect.any(String) });
    expect(response.headers['x-request-id']).toBe(response.body.requestId);
  });

  it('tells a client when to retry after AWS was unavailable', async () => {
    t.aws.faults.inject({ api: 'AdminInitiateAuth', error: 'unavailable' });
    const response = await t.http.post('/v1/sessions').send({ username: 'nobody', password: 'whatever-1' });
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('AWS_UNAVAILABLE');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  });
});
