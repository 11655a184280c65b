import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('foundation over HTTP (AWS not configured)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ aws: false });
  });
  afterAll(async () => t?.close());

  it('answers liveness outside the /v1 prefix', async () => {
    const response = await t.http.get('/health/live');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('fails readiness while AWS settings are missing, naming them, with the database up', async () => {
    const response = await t.http.get('/health/ready');
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('NOT_READY');
    expect(response.body.details.details.database.status).toBe('up');
    expect(response.body.details.details.aws.missing).toEqual([
      'AWS_REGION',
      'COGNITO_USER_POOL_ID',
      'COGNITO_CLIENT_ID',
      'COGNITO_IDENTITY_POOL_ID',
    ]);
  });

  it('serves Swagger UI at /docs and the OpenAPI document at /docs/openapi.json', async () => {
    const ui = await t.http.get('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
    const spec = await t.http.get('/docs/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.components.securitySchemes).toMatchObject({
      'admin-api-key': { type: 'apiKey', name: 'x-api-key', in: 'header' },
      'cognito-bearer': { type: 'http', scheme: 'bearer' },
    });
  });

  it('answers unknown routes in the error shape with a request id', async () => {
    const response = await t.http.get('/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ code: 'NOT_FOUND', message: 'No such route', requestId: expect.any(String) });
    expect(response.headers['x-request-id']).toBe(response.body.requestId);
  });

  it('echoes a sane incoming x-request-id and logs it on the request line', async () => {
    const response = await t.http.get('/health/live').set('x-request-id', 'trace-abc-123');
    expect(response.headers['x-request-id']).toBe('trace-abc-123');
    const line = t.logs.records().find((record) => (record.req as { id?: string } | undefined)?.id === 'trace-abc-123');
    expect(line).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
  });

  it('replaces an unsafe incoming request id', async () => {
    const response = await t.http.get('/health/live').set('x-request-id', 'bad id with spaces');
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers', async () => {
    const response = await t.http.get('/health/live');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('redacts credentials headers in logs', async () => {
    await t.http.get('/health/live').set('x-api-key', 'super-secret-key-value-0000').set('authorization', 'Bearer abc.def.ghi');
    expect(t.logs.text()).not.toContain('super-secret-key-value-0000');
    expect(t.logs.text()).not.toContain('abc.def.ghi');
  });
});

describe('foundation: malformed requests', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ aws: false, env: { BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(async () => t?.close());

  it('answers malformed JSON with VALIDATION_FAILED in the error shape', async () => {
    const response = await t.http.post('/v1/anything').set('content-type', 'application/json').send('{"broken":');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.any(String) });
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.js/);
  });

  it('answers an oversized body with PAYLOAD_TOO_LARGE', async () => {
    const response = await t.http.post('/v1/anything').send({ blob: 'x'.repeat(4096) });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', requestId: expect.any(String) });
  });
});
