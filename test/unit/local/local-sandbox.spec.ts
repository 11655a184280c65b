import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalSandbox, type SandboxOptions } from '../../../src/local/local-sandbox.js';
import { StateFile } from '../../../src/local/state-file.js';
import { createTestCsr } from '../../support/csr.js';

describe('the local IoT Core state', () => {
  let dir: string;
  let options: SandboxOptions;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'iotp-sandbox-'));
    options = {
      stateDir: dir,
      region: 'us-east-1',
      accountId: '000000000000',
      userPoolId: 'us-east-1_LocalPool1',
      clientId: 'localappclient000000000001',
      identityPoolId: 'us-east-1:00000000-0000-4000-8000-00000000a001',
      issuer: 'http://127.0.0.1:3000/v1/local/cognito/us-east-1_LocalPool1',
      endpoint: '127.0.0.1',
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('comes back after a restart with its users, identities, credentials, registry, CA and signing key', async () => {
    const first = LocalSandbox.open(options);
    await first.userPool.createUser({ username: 'alice', temporaryPassword: 'Temp-Passw0rd', sendInvite: false });
    await first.iot.createPolicy('iotp_alice', JSON.stringify({ Version: '2012-10-17', Statement: [] }));
    await first.iot.createThing('iotp_alice_dev', { owner: 'alice' });
    const certificate = await first.iot.createCertificateFromCsr(createTestCsr().csrPem);
    await first.iot.attachThingPrincipal('iotp_alice_dev', certificate.certificateArn);
    const challenge = await first.userPool.signIn('alice', 'Temp-Passw0rd');
    if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
    const signedIn = await first.userPool.completeNewPassword('alice', challenge.session, 'Final-Passw0rd');
    if (signedIn.kind !== 'tokens') throw new Error('expected tokens');
    const identityId = await first.identityPool.getIdentityId(signedIn.tokens.idToken);
    const credentials = await first.identityPool.getCredentials(identityId, signedIn.tokens.idToken);

    const second = LocalSandbox.open(options);
    expect(second.iot.snapshot()).toEqual(first.iot.snapshot());
    expect(second.userPool.snapshot()).toEqual(first.userPool.snapshot());
    expect(second.ca.certificatePem).toBe(first.ca.certificatePem);
    expect(second.tokens.jwks()).toEqual(first.tokens.jwks());
    expect(second.identityPool.credentials(credentials.accessKeyId)?.secretAccessKey).toBe(credentials.secretAccessKey);
    expect(await second.identityPool.getIdentityId(signedIn.tokens.idToken)).toBe(identityId);
    expect((await second.userPool.signIn('alice', 'Final-Passw0rd')).kind).toBe('tokens');
    await expect(second.iot.deleteThing('iotp_alice_dev')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('writes each change before the call returns, readable by its owner only, with no clear password', async () => {
    const sandbox = LocalSandbox.open(options);
    await sandbox.userPool.createUser({ username: 'bob', temporaryPassword: 'Temp-Passw0rd', sendInvite: false });
    const text = readFileSync(sandbox.file.path, 'utf8');
    expect(JSON.parse(text).userPool.users.map((u: { username: string }) => u.username)).toEqual(['bob']);
    expect(text).not.toContain('Temp-Passw0rd');
    expect(statSync(sandbox.file.path).mode & 0o777).toBe(0o600);
  });

  it('keeps the previous state readable when a write dies half-way', async () => {
    const sandbox = LocalSandbox.open(options);
    await sandbox.iot.createThing('iotp_carol_dev', {});
    // A crash while writing leaves a partial temporary file; the rename never happened.
    writeFileSync(`${sandbox.file.path}.tmp`, '{"version":1,"iot":{"things":[{"thingNa');
    const restarted = LocalSandbox.open(options);
    expect(restarted.iot.snapshot().things.map((thing) => thing.thingName)).toEqual(['iotp_carol_dev']);
    await restarted.iot.createThing('iotp_carol_dev2', {});
    expect(new StateFile<{ iot: { things: unknown[] } }>(dir).read()!.iot.things).toHaveLength(2);
  });

  it('refuses state that belongs to another account or pool rather than mixing them', () => {
    LocalSandbox.open(options);
    expect(() => LocalSandbox.open({ ...options, region: 'eu-west-1', userPoolId: 'eu-west-1_LocalPool1' })).toThrow(/reset:local/);
  });
});
