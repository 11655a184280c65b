import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdentityPoolAdapter } from '../../../src/aws/identity-pool.adapter.js';
import { IotAdapter } from '../../../src/aws/iot.adapter.js';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { UserPoolAdapter } from '../../../src/aws/user-pool.adapter.js';
import { AwsStub, type StubAnswer } from './aws-stub.js';
import { awsConfig } from './support.js';

/**
 * The SDK's own retries, through the real clients and their middleware (aws-sdk-client-mock
 * replaces `send`, so it would skip them): a local HTTP server answers as AWS does, and counts
 * what each API was sent.
 */

const CERT = {
  certificateArn: 'arn:aws:iot:eu-west-1:123456789012:cert/abc',
  certificateId: 'abc',
  certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  keyPair: { PublicKey: 'public', PrivateKey: 'private' },
};
const THING = { thingName: 't1', thingArn: 'arn:aws:iot:eu-west-1:123456789012:thing/t1', thingId: 'id-1' };
const IOT_THROTTLED: StubAnswer = { iotError: 'ThrottlingException', status: 400 };

describe('AWS retries seen by the adapters', () => {
  let stub: AwsStub | undefined;
  const closers: Array<() => void> = [];

  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIATESTTESTTESTTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    for (const close of closers.splice(0)) close();
    await stub?.close();
    stub = undefined;
  });

  async function configFor(answer: (api: string, attempt: number) => StubAnswer, maxAttempts = 4) {
    stub = new AwsStub(answer);
    const endpoint = await stub.start();
    return awsConfig({ AWS_ENDPOINT_URL: endpoint, AWS_MAX_ATTEMPTS: String(maxAttempts), AWS_TIMEOUT_MS: '300' });
  }

  async function iotAgainst(answer: (api: string, attempt: number) => StubAnswer, maxAttempts = 4): Promise<IotAdapter> {
    const config = await configFor(answer, maxAttempts);
    const iot = new IotAdapter(config, new QuotaLimiter(config));
    closers.push(() => iot.onModuleDestroy());
    return iot;
  }

  describe('throttling', () => {
    it('retries ThrottlingException with backoff and succeeds when AWS lets it through', async () => {
      const iot = await iotAgainst((_, attempt) => (attempt <= 2 ? IOT_THROTTLED : { ok: THING }));
      await expect(iot.createThing('t1', {})).resolves.toEqual({ thingName: 't1', thingArn: THING.thingArn });
      expect(stub!.count('CreateThing')).toBe(3);
    });

    it('gives up after AWS_MAX_ATTEMPTS with AWS_THROTTLED and a retry hint', async () => {
      const iot = await iotAgainst(() => IOT_THROTTLED, 3);
      await expect(iot.createThing('t1', {})).rejects.toMatchObject({
        code: 'AWS_THROTTLED',
        status: 503,
        retryAfterSeconds: expect.any(Number),
        details: { awsError: 'ThrottlingException' },
      });
      expect(stub!.count('CreateThing')).toBe(3);
    });

    it("retries Cognito's TooManyRequestsException (awsJson1_1, __type)", async () => {
      const config = await configFor((_, attempt) => (attempt <= 1 ? { cognitoError: 'TooManyRequestsException' } : { ok: {} }));
      const pool = new UserPoolAdapter(config, new QuotaLimiter(config));
      closers.push(() => pool.onModuleDestroy());
      await expect(pool.disableUser('alice')).resolves.toBeUndefined();
      expect(stub!.count('AdminDisableUser')).toBe(2);
    });
  });

  describe('LimitExceededException is a hard limit, sent once', () => {
    it("AttachPolicy's 10-policies-per-target refusal (HTTP 410) is not resent and answers CONFLICT", async () => {
      const iot = await iotAgainst(() => ({ iotError: 'LimitExceededException', status: 410 }));
      await expect(iot.attachPolicy('iotp_alice', 'eu-west-1:abc')).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'POLICY_LIMIT' } });
      expect(stub!.count('AttachPolicy')).toBe(1);
    });

    it('a later call of another API is not slowed or refused because of it', async () => {
      const iot = await iotAgainst((api) => (api === 'AttachPolicy' ? { iotError: 'LimitExceededException', status: 410 } : { ok: THING }));
      await expect(iot.attachPolicy('iotp_alice', 'eu-west-1:abc')).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(iot.createThing('t1', {})).resolves.toMatchObject({ thingName: 't1' });
      expect(stub!.requests).toEqual(['AttachPolicy', 'CreateThing']);
    });

    it("the identity pool's LimitExceededException is not resent either", async () => {
      const config = await configFor(() => ({ cognitoError: 'LimitExceededException' }));
      const pool = new IdentityPoolAdapter(config, new QuotaLimiter(config));
      closers.push(() => pool.onModuleDestroy());
      await expect(pool.getIdentityId('id-token')).rejects.toMatchObject({ details: { awsError: 'LimitExceededException' } });
      expect(stub!.count('GetId')).toBe(1);
    });
  });

  describe('certificate creations are never resent after an unknown outcome', () => {
    it('a CreateKeysAndCertificate that times out is sent exactly once and reports the outcome as unknown', async () => {
      const iot = await iotAgainst(() => 'hang');
      await expect(iot.createKeysAndCertificate()).rejects.toMatchObject({
        code: 'AWS_UNAVAILABLE',
        details: { api: 'CreateKeysAndCertificate', outcome: 'unknown' },
      });
      expect(stub!.count('CreateKeysAndCertificate')).toBe(1);
    });

    it.each([
      ['ServiceUnavailableException', 503],
      ['InternalFailureException', 500],
    ])('a CreateCertificateFromCsr answered %s (%i) is sent exactly once, outcome unknown', async (name, status) => {
      const iot = await iotAgainst(() => ({ iotError: name, status }));
      await expect(iot.createCertificateFromCsr('-----BEGIN CERTIFICATE REQUEST-----\n...')).rejects.toMatchObject({
        code: 'AWS_UNAVAILABLE',
        details: { awsError: name, outcome: 'unknown' },
      });
      expect(stub!.count('CreateCertificateFromCsr')).toBe(1);
    });

    it('a throttled creation, which AWS refused without performing it, is retried', async () => {
      const iot = await iotAgainst((_, attempt) => (attempt === 1 ? IOT_THROTTLED : { ok: CERT }));
      await expect(iot.createKeysAndCertificate()).resolves.toMatchObject({ certificateId: 'abc', privateKey: 'private' });
      expect(stub!.count('CreateKeysAndCertificate')).toBe(2);
    });

    it('an idempotent call that times out is resent up to AWS_MAX_ATTEMPTS, with no unknown outcome to report', async () => {
      const iot = await iotAgainst(() => 'hang', 3);
      const error: unknown = await iot.createThing('t1', {}).catch((failure: unknown) => failure);
      expect(error).toMatchObject({ code: 'AWS_UNAVAILABLE' });
      expect((error as { details: Record<string, unknown> }).details).not.toHaveProperty('outcome');
      expect(stub!.count('CreateThing')).toBe(3);
    });
  });
});
