/**
 * AWS Signature Version 4 for presigned URLs, verifying side: the canonical request, string to
 * sign and signing key as the IAM user guide's "Create a signed AWS API request" defines them,
 * and a verifier for the `/mqtt` URLs that AWS IoT's SDKs build for MQTT over WebSocket.
 *
 * Two ways of carrying the session token exist in the wild, and both are accepted:
 * - the AWS IoT Device SDKs sign the query WITHOUT the token and append `X-Amz-Security-Token`
 *   after `X-Amz-Signature` (aws-iot-device-sdk-js `prepareWebSocketUrl`; the v2 SDKs sign
 *   through the AWS CRT with `omitSessionToken`, which does the same, possibly with a signed
 *   `X-Amz-Expires`);
 * - the generic SigV4 presigner (@smithy/signature-v4 `presign`) puts the token in the signed
 *   query, with `X-Amz-Expires`.
 * Pure code: no clock, no I/O; the caller passes `now` and looks the secret up.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_PAYLOAD_HASH = createHash('sha256').update('').digest('hex');
/** "In most cases, a request must reach AWS within five minutes of the time stamp in the request" (IAM user guide, Signing AWS API requests). */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** The SigV4 ceiling for X-Amz-Expires: seven days. */
export const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ as %XX, uppercase. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type QueryPair = [name: string, value: string];

/** Decodes a raw query string (no leading `?`) into pairs, in order; `+` stays a plus, as SigV4 clients encode a space as %20. */
export function parseQuery(query: string): QueryPair[] {
  if (query === '') return [];
  return query.split('&').map((part) => {
    const index = part.indexOf('=');
    const name = index < 0 ? part : part.slice(0, index);
    const value = index < 0 ? '' : part.slice(index + 1);
    return [safeDecode(name), safeDecode(value)];
  });
}

/** Pairs encoded, sorted by encoded name then encoded value (byte order), joined with `&`. */
export function canonicalQuery(pairs: QueryPair[]): string {
  const encoded = pairs.map(([name, value]) => [uriEncode(name), uriEncode(value)] as const);
  encoded.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([name, value]) => `${name}=${value}`).join('&');
}

export interface CanonicalRequestInput {
  method: string;
  /** The path as received, e.g. `/mqtt`; each segment is re-encoded once. */
  path: string;
  query: QueryPair[];
  /** Lowercase header name → value, for every signed header. */
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  const path =
    input.path
      .split('/')
      .map((segment) => uriEncode(safeDecode(segment)))
      .join('/') || '/';
  const names = [...input.signedHeaders].map((name) => name.toLowerCase()).sort();
  const headers = names.map((name) => `${name}:${(input.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [input.method.toUpperCase(), path, canonicalQuery(input.query), headers, names.join(';'), input.payloadHash].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
}

export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  return hmac(hmac(hmac(kDate, region), service), 'aws4_request');
}

export function signature(key: Buffer, toSign: string): string {
  return createHmac('sha256', key).update(toSign).digest('hex');
}

export type PresignRefusal =
  'MALFORMED' | 'UNKNOWN_KEY' | 'WRONG_SCOPE' | 'SKEWED' | 'EXPIRED_URL' | 'EXPIRED_CREDENTIALS' | 'TOKEN_MISMATCH' | 'BAD_SIGNATURE';

export interface PresignSecret {
  secretAccessKey: string;
  /** Temporary credentials carry a session token that must come with the URL. */
  sessionToken?: string;
  expiration?: Date;
}

export interface PresignedRequest {
  method: string;
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** Request headers, names in any case. */
  headers: Record<string, string | string[] | undefined>;
}

export interface VerifyOptions {
  service: string;
  region: string;
  now: Date;
  secretFor: (accessKeyId: string) => PresignSecret | undefined;
  maxSkewSeconds?: number;
  payloadHash?: string;
}

export type VerifyResult = { ok: true; accessKeyId: string; signedAt: Date } | { ok: false; refusal: PresignRefusal; message: string };

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** True when `query` carries SigV4 presign parameters at all (so the caller knows which way in was meant). */
export function isPresigned(query: string): boolean {
  return parseQuery(query).some(([name]) => name === 'X-Amz-Signature' || name === 'X-Amz-Credential');
}

export function verifyPresignedRequest(request: PresignedRequest, options: VerifyOptions): VerifyResult {
  const refuse = (refusal: PresignRefusal, message: string): VerifyResult => ({ ok: false, refusal, message });
  const pairs = parseQuery(request.query);
  const single = (name: string): string | undefined => {
    const found = pairs.filter(([key]) => key === name);
    return found.length === 1 ? found[0]![1] : undefined;
  };
  const algorithm = single('X-Amz-Algorithm');
  const credential = single('X-Amz-Credential');
  const amzDate = single('X-Amz-Date');
  const signedHeadersText = single('X-Amz-SignedHeaders');
  const given = single('X-Amz-Signature');
  if (algorithm !== ALGORITHM) return refuse('MALFORMED', `X-Amz-Algorithm must be ${ALGORITHM}`);
  if (!credential || !amzDate || !signedHeadersText || !given) {
    return refuse('MALFORMED', 'X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Signature are each required once');
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator, ...extra] = credential.split('/');
  if (!accessKeyId || !scopeDate || terminator !== 'aws4_request' || extra.length > 0) {
    return refuse('MALFORMED', 'X-Amz-Credential must be <key>/<date>/<region>/<service>/aws4_request');
  }
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt) return refuse('MALFORMED', 'X-Amz-Date must be YYYYMMDDTHHMMSSZ');
  if (scopeDate !== amzDate.slice(0, 8)) return refuse('WRONG_SCOPE', 'the credential scope date is not the date of X-Amz-Date');
  if (scopeService !== options.service) return refuse('WRONG_SCOPE', `the credential scope is for service ${scopeService}, not ${options.service}`);
  if (scopeRegion !== options.region) return refuse('WRONG_SCOPE', `the credential scope is for region ${scopeRegion}, not ${options.region}`);
  const signedHeaders = signedHeadersText.split(';');
  if (!signedHeaders.includes('host')) return refuse('MALFORMED', 'X-Amz-SignedHeaders must include host');
  // The five-minute window applies to every URL; X-Amz-Expires (the presigner's) can only shorten it.
  const skewMs = Math.abs(options.now.getTime() - signedAt.getTime());
  if (skewMs > (options.maxSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS) * 1000) {
    return refuse('SKEWED', 'X-Amz-Date is too far from the server clock');
  }
  const expires = single('X-Amz-Expires');
  if (expires !== undefined) {
    if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_SECONDS) {
      return refuse('MALFORMED', `X-Amz-Expires must be 1 to ${MAX_EXPIRES_SECONDS} seconds`);
    }
    if (options.now.getTime() > signedAt.getTime() + Number(expires) * 1000) return refuse('EXPIRED_URL', 'the presigned URL has expired');
  }
  const secret = options.secretFor(accessKeyId);
  if (!secret) return refuse('UNKNOWN_KEY', 'the access key id is not known');
  if (secret.expiration && secret.expiration.getTime() <= options.now.getTime()) {
    return refuse('EXPIRED_CREDENTIALS', 'the credentials have expired');
  }
  const token = pairs.filter(([name]) => name === 'X-Amz-Security-Token');
  if (secret.sessionToken !== undefined) {
    if (token.length !== 1 || !constantTimeEqual(token[0]![1], secret.sessionToken)) {
      return refuse('TOKEN_MISMATCH', 'X-Amz-Security-Token is missing or not the one vended with these credentials');
    }
  }
  const headers = lowercaseHeaders(request.headers);
  const key = signingKey(secret.secretAccessKey, scopeDate, scopeRegion, scopeService);
  const scope = [scopeDate, scopeRegion, scopeService, 'aws4_request'].join('/');
  const unsigned = pairs.filter(([name]) => name !== 'X-Amz-Signature');
  // With the token signed (presigner) or appended after signing (AWS IoT Device SDKs).
  const candidates = token.length > 0 ? [unsigned, unsigned.filter(([name]) => name !== 'X-Amz-Security-Token')] : [unsigned];
  const matches = candidates.some((query) => {
    const canonical = canonicalRequest({
      method: request.method,
      path: request.path,
      query,
      headers,
      signedHeaders,
      payloadHash: options.payloadHash ?? EMPTY_PAYLOAD_HASH,
    });
    return constantTimeEqual(signature(key, stringToSign(amzDate, scope, canonical)), given.toLowerCase());
  });
  if (!matches) return refuse('BAD_SIGNATURE', 'the signature does not match');
  return { ok: true, accessKeyId, signedAt };
}

function parseAmzDate(text: string): Date | undefined {
  const match = AMZ_DATE.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  return date.getUTCDate() === d && date.getUTCMonth() === mo! - 1 ? date : undefined;
}

function lowercaseHeaders(headers: PresignedRequest['headers']): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return result;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
