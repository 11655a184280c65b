import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  canonicalRequest,
  parseQuery,
  signature,
  signingKey,
  stringToSign,
  verifyPresignedRequest,
  type VerifyOptions,
} from '../../../src/local/sigv4.js';
import { deviceSdkUrl, presignerUrl, type SigningCredentials } from '../../support/iot-websocket-url.js';

describe('SigV4 signing steps against AWS published vectors', () => {
  // aws4_testsuite (as shipped with aws-cli/botocore): AKIDEXAMPLE, service "host", Date header signed.
  const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const date = 'Mon, 09 Sep 2011 23:36:00 GMT';
  const cases = [
    { name: 'get-vanilla-query', query: '', signature: 'b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470' },
    {
      name: 'get-vanilla-query-order-key-case',
      query: 'foo=Zoo&foo=aha',
      signature: 'be7148d34ebccdc6423b19085378aa0bee970bdc61d144bd1a8c48c33079ab09',
    },
    {
      name: 'get-vanilla-query-unreserved',
      query: '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
      signature: 'f1498ddb4d6dae767d97c466fb92f1b59a2c71ca29ac954692663f9db03426fb',
    },
  ];
  it.each(cases)('$name', ({ query, signature: expected }) => {
    const canonical = canonicalRequest({
      method: 'GET',
      path: '/',
      query: parseQuery(query),
      headers: { date, host: 'host.foo.com' },
      signedHeaders: ['date', 'host'],
      payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    const key = signingKey(secret, '20110909', 'us-east-1', 'host');
    expect(signature(key, stringToSign('20110909T233600Z', '20110909/us-east-1/host/aws4_request', canonical))).toBe(expected);
  });

  it('orders repeated keys by value, byte order (uppercase first)', () => {
    expect(canonicalQuery(parseQuery('foo=aha&foo=Zoo&a=%20b'))).toBe('a=%20b&foo=Zoo&foo=aha');
  });

  it('verifies the S3 developer guide presigned URL example (UNSIGNED-PAYLOAD)', () => {
    // "Authenticating Requests: Using Query Parameters": GET /test.txt on examplebucket, 2013-05-24, 86400 s.
    const query =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
      '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
      '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const result = verifyPresignedRequest(
      { method: 'GET', path: '/test.txt', query, headers: { Host: 'examplebucket.s3.amazonaws.com' } },
      {
        service: 's3',
        region: 'us-east-1',
        now: new Date('2013-05-24T00:01:00Z'),
        payloadHash: 'UNSIGNED-PAYLOAD',
        secretFor: (key) => (key === 'AKIAIOSFODNN7EXAMPLE' ? { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } : undefined),
      },
    );
    expect(result).toMatchObject({ ok: true, accessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
  });
});

describe('verifyPresignedRequest for MQTT over WebSocket', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const host = '127.0.0.1:8443';
  const credentials: SigningCredentials = {
    accessKeyId: 'ASIAEXAMPLEKEY',
    secretAccessKey: 'secret/with+chars=',
    sessionToken: 'token/with+and=and%',
  };
  const options = (overrides: Partial<VerifyOptions> = {}): VerifyOptions => ({
    service: 'iotdevicegateway',
    region: 'eu-west-1',
    now,
    secretFor: (key) =>
      key === credentials.accessKeyId
        ? { secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken!, expiration: new Date(now.getTime() + 3600_000) }
        : undefined,
    ...overrides,
  });
  const verify = (url: string, overrides: Partial<VerifyOptions> = {}, headers: Record<string, string> = { host }) => {
    const parsed = new URL(url);
    return verifyPresignedRequest({ method: 'GET', path: parsed.pathname, query: parsed.search.slice(1), headers }, options(overrides));
  };
  const sdkUrl = (overrides: Partial<Parameters<typeof deviceSdkUrl>[0]> = {}) =>
    deviceSdkUrl({ credentials, region: 'eu-west-1', host, scheme: 'wss', date: now, ...overrides });

  it('accepts the AWS IoT Device SDK URL, token appended after signing', () => {
    const url = sdkUrl();
    expect(url.indexOf('X-Amz-Security-Token')).toBeGreaterThan(url.indexOf('X-Amz-Signature'));
    expect(verify(url)).toEqual({ ok: true, accessKeyId: credentials.accessKeyId, signedAt: now });
  });

  it("accepts the CRT-based SDKs' URL: X-Amz-Expires signed, token appended after signing", () => {
    const url = sdkUrl({ expiresIn: 3600 });
    expect(url.indexOf('X-Amz-Security-Token')).toBeGreaterThan(url.indexOf('X-Amz-Signature'));
    expect(verify(url)).toMatchObject({ ok: true });
  });

  it('accepts the SigV4 presigner URL, token signed, within X-Amz-Expires', async () => {
    const url = await presignerUrl({ credentials, region: 'eu-west-1', host, scheme: 'wss', date: now }, 900);
    expect(url).toContain('X-Amz-Expires=900');
    expect(verify(url)).toMatchObject({ ok: true });
    expect(verify(url, { now: new Date(now.getTime() + 240_000) })).toMatchObject({ ok: true });
  });

  it('refuses a presigner URL past its X-Amz-Expires', async () => {
    const url = await presignerUrl({ credentials, region: 'eu-west-1', host, scheme: 'wss', date: now }, 60);
    expect(verify(url, { now: new Date(now.getTime() + 61_000) })).toMatchObject({ ok: false, refusal: 'EXPIRED_URL' });
  });

  it('accepts a date up to five minutes away and refuses beyond, either way', () => {
    expect(verify(sdkUrl({ date: new Date(now.getTime() - 300_000) }))).toMatchObject({ ok: true });
    expect(verify(sdkUrl({ date: new Date(now.getTime() - 301_000) }))).toMatchObject({ ok: false, refusal: 'SKEWED' });
    expect(verify(sdkUrl({ date: new Date(now.getTime() + 301_000) }))).toMatchObject({ ok: false, refusal: 'SKEWED' });
  });

  it('refuses a wrong signature', () => {
    const url = sdkUrl().replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    expect(verify(url)).toMatchObject({ ok: false, refusal: 'BAD_SIGNATURE' });
  });

  it('refuses a URL signed with another secret', () => {
    expect(verify(sdkUrl({ credentials: { ...credentials, secretAccessKey: 'other' } }))).toMatchObject({ ok: false, refusal: 'BAD_SIGNATURE' });
  });

  it('refuses a URL signed for another host than the one it is sent to', () => {
    expect(verify(sdkUrl(), {}, { host: '127.0.0.1:9999' })).toMatchObject({ ok: false, refusal: 'BAD_SIGNATURE' });
  });

  it('refuses another service and another region', () => {
    expect(verify(sdkUrl({ service: 'execute-api' }))).toMatchObject({ ok: false, refusal: 'WRONG_SCOPE' });
    expect(verify(sdkUrl({ region: 'us-east-1' }))).toMatchObject({ ok: false, refusal: 'WRONG_SCOPE' });
  });

  it('refuses an unknown access key', () => {
    expect(verify(sdkUrl({ credentials: { ...credentials, accessKeyId: 'ASIAUNKNOWN' } }))).toMatchObject({ ok: false, refusal: 'UNKNOWN_KEY' });
  });

  it('refuses expired credentials even with a fresh signature', () => {
    const expired = options().secretFor(credentials.accessKeyId)!;
    expect(verify(sdkUrl(), { secretFor: () => ({ ...expired, expiration: new Date(now.getTime() - 1) }) })).toMatchObject({
      ok: false,
      refusal: 'EXPIRED_CREDENTIALS',
    });
  });

  it('refuses a missing or foreign session token', () => {
    expect(verify(sdkUrl({ credentials: { ...credentials, sessionToken: undefined } }))).toMatchObject({ ok: false, refusal: 'TOKEN_MISMATCH' });
    expect(verify(sdkUrl({ credentials: { ...credentials, sessionToken: 'another' } }))).toMatchObject({ ok: false, refusal: 'TOKEN_MISMATCH' });
  });

  it('refuses malformed parameters', () => {
    const url = sdkUrl();
    expect(verify(url.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1'))).toMatchObject({ ok: false, refusal: 'MALFORMED' });
    expect(verify(url.replace(/&X-Amz-Date=[^&]+/, ''))).toMatchObject({ ok: false, refusal: 'MALFORMED' });
    expect(verify(`${url}&X-Amz-Signature=00`)).toMatchObject({ ok: false, refusal: 'MALFORMED' });
    expect(verify(url.replace('X-Amz-SignedHeaders=host', 'X-Amz-SignedHeaders=date'))).toMatchObject({ ok: false, refusal: 'MALFORMED' });
  });

  it('refuses a scope date that is not the signing date', () => {
    const url = sdkUrl().replace(/%2F20260301%2F/, '%2F20260228%2F');
    expect(verify(url)).toMatchObject({ ok: false, refusal: 'WRONG_SCOPE' });
  });
});
