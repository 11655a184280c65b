import { X509Certificate, createPrivateKey } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { allPages } from '../../../src/aws/pages.js';
import { LocalIot } from '../../../src/local/local-iot.js';
import { LocalRuntime } from '../../../src/local/local-runtime.js';
import { createTestCsr } from '../../support/csr.js';

const DOC = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
const IDENTITY = 'eu-west-1:0f0f0f0f-0000-4000-8000-000000000001';

const all = allPages<string>;

describe('LocalIot', () => {
  let iot: LocalIot;
  beforeEach(() => (iot = new LocalIot()));

  it('enforces AWS delete order for a device, then leaves nothing behind', async () => {
    const thing = await iot.createThing('dev-1', { owner: 'u1' });
    expect(thing.thingArn).toBe('arn:aws:iot:eu-west-1:123456789012:thing/dev-1');
    const cert = await iot.createCertificateFromCsr(createTestCsr().csrPem);
    await iot.createPolicy('dev-1-policy', DOC);
    await iot.attachPolicy('dev-1-policy', cert.certificateArn);
    await iot.attachThingPrincipal('dev-1', cert.certificateArn);

    await expect(iot.deleteThing('dev-1')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(iot.deletePolicy('dev-1-policy')).rejects.toMatchObject({ code: 'CONFLICT', details: { awsError: 'DeleteConflictException' } });
    await expect(iot.deleteCertificate(cert.certificateId)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { awsError: 'CertificateStateException' },
    });
    await iot.updateCertificateStatus(cert.certificateId, 'INACTIVE');
    await expect(iot.deleteCertificate(cert.certificateId)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { awsError: 'DeleteConflictException' },
    });

    await iot.detachThingPrincipal('dev-1', cert.certificateArn);
    await iot.detachPolicy('dev-1-policy', cert.certificateArn);
    await iot.deleteCertificate(cert.certificateId);
    await iot.deletePolicy('dev-1-policy');
    await iot.deleteThing('dev-1');
    expect(iot.snapshot()).toEqual({ things: [], certificates: [], policies: [], policyAttachments: [], thingPrincipals: [] });
  });

  it('GetPolicy returns the default version; ListCertificates lists newest first with creation dates; DescribeCertificate gives the PEM', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const timed = new LocalIot({ runtime: new LocalRuntime({ clock: () => now }) });
    const { policyArn } = await timed.createPolicy('p', DOC);
    await expect(timed.getPolicy('p')).resolves.toEqual({ policyArn, document: DOC, defaultVersionId: '1' });
    await expect(timed.getPolicy('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await timed.createKeysAndCertificate()).certificateId);
      now += 1000;
    }
    const listed = await allPages((token) => timed.listCertificates(token));
    expect(listed.map((c) => c.certificateId)).toEqual([...ids].reverse());
    expect(listed[0]!.createdAt).toEqual(new Date('2026-01-01T00:00:02Z'));
    const described = await timed.describeCertificate(ids[0]!);
    expect(described.status).toBe('ACTIVE');
    expect(new X509Certificate(described.certificatePem).subject).toBeDefined();
  });

  it('refuses DeletePolicy for the configured time after a detach, as AWS does for up to five minutes', async () => {
    let now = 1_000_000;
    const delayed = new LocalIot({ runtime: new LocalRuntime({ clock: () => now }), policyDeleteDelayMs: 300_000 });
    await delayed.createPolicy('p1', DOC);
    await delayed.deletePolicy('p1'); // never attached: no delay
    await delayed.createPolicy('p2', DOC);
    await delayed.attachPolicy('p2', IDENTITY);
    await delayed.detachPolicy('p2', IDENTITY);
    now += 299_999;
    await expect(delayed.deletePolicy('p2')).rejects.toMatchObject({ code: 'CONFLICT', details: { awsError: 'DeleteConflictException' } });
    now += 1;
    await delayed.deletePolicy('p2');
    expect(delayed.snapshot().policies).toEqual([]);
  });

  it('CreateThing is idempotent for the same attributes and a conflict for different ones', async () => {
    const first = await iot.createThing('dev-1', { owner: 'u1' });
    await expect(iot.createThing('dev-1', { owner: 'u1' })).resolves.toEqual(first);
    await expect(iot.createThing('dev-1', { owner: 'u2' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('validates names, attributes and policy documents', async () => {
    await expect(iot.createThing('bad name', {})).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(iot.createThing('x'.repeat(129), {})).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(iot.createThing('dev-1', { a: '1', b: '2', c: '3', d: '4' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(iot.createPolicy('has:colon', DOC)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const huge = JSON.stringify({ Statement: [{ Resource: 'x'.repeat(2100) }] });
    await expect(iot.createPolicy('p1', huge)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await iot.createPolicy('p1', DOC);
    await expect(iot.createPolicy('p1', DOC)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('attaches idempotently, detaches what is not attached, and caps a target at 10 policies', async () => {
    for (let i = 0; i < 11; i++) await iot.createPolicy(`p${i}`, DOC);
    for (let i = 0; i < 10; i++) await iot.attachPolicy(`p${i}`, IDENTITY);
    await iot.attachPolicy('p0', IDENTITY);
    await expect(iot.attachPolicy('p10', IDENTITY)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'POLICY_LIMIT' } });
    await iot.detachPolicy('p10', IDENTITY);
    // AWS's model has no ResourceNotFoundException for DetachPolicy: detaching an unknown policy succeeds too.
    await expect(iot.detachPolicy('missing', IDENTITY)).resolves.toBeUndefined();
    await expect(iot.attachPolicy('missing', IDENTITY)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses DeletePolicy while non-default versions exist', async () => {
    await iot.createPolicy('p1', DOC);
    const version = iot.addPolicyVersion('p1', DOC);
    await expect(iot.deletePolicy('p1')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await iot.listPolicyVersions('p1')).toEqual([
      { versionId: '1', isDefault: true },
      { versionId: version, isDefault: false },
    ]);
    await iot.deletePolicyVersion('p1', version);
    await iot.deletePolicy('p1');
  });

  it('keeps at most 5 versions: CreatePolicyVersion answers CONFLICT (VersionsLimitExceededException) on the sixth; GetPolicy reads the default', async () => {
    const { policyArn } = await iot.createPolicy('p1', DOC);
    const wide = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}';
    const { versionId } = await iot.createPolicyVersion('p1', wide, true);
    expect(await iot.getPolicy('p1')).toEqual({ policyArn, document: wide, defaultVersionId: versionId });
    for (let i = 0; i < 3; i++) await iot.createPolicyVersion('p1', DOC, false);
    await expect(iot.createPolicyVersion('p1', DOC, true)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { awsError: 'VersionsLimitExceededException' },
    });
    expect((await iot.listPolicyVersions('p1')).length).toBe(5);
    await expect(iot.getPolicy('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('SetDefaultPolicyVersion makes an existing version the one in effect; the old default can then be deleted', async () => {
    await iot.createPolicy('p1', DOC);
    const wide = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}';
    const { versionId } = await iot.createPolicyVersion('p1', wide, true);
    await expect(iot.deletePolicyVersion('p1', versionId)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { awsError: 'DeleteConflictException' },
    });
    await iot.setDefaultPolicyVersion('p1', '1');
    expect(await iot.getPolicyDocument('p1')).toBe(DOC);
    await iot.deletePolicyVersion('p1', versionId);
    expect(await iot.listPolicyVersions('p1')).toEqual([{ versionId: '1', isDefault: true }]);
    await expect(iot.setDefaultPolicyVersion('p1', versionId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(iot.setDefaultPolicyVersion('nope', '1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(iot.setDefaultPolicyVersion('p1', 'v1')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers NOT_FOUND for unknown resources, except DeleteThing which AWS lets succeed', async () => {
    await expect(iot.getPolicyDocument('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(iot.deleteCertificate('f'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(iot.attachThingPrincipal('nope', IDENTITY)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(iot.listThingPrincipals('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(iot.deleteThing('nope')).resolves.toBeUndefined();
  });

  it('issues real certificates that expire when AWS-issued ones do', async () => {
    const fromCsr = await iot.createCertificateFromCsr(createTestCsr({ commonName: 'dev-1' }).csrPem);
    const x509 = new X509Certificate(fromCsr.certificatePem);
    expect(x509.subject).toBe('CN=dev-1');
    expect(x509.verify(iot.ca.publicKey)).toBe(true);
    expect(new Date(x509.validTo).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(fromCsr.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(fromCsr.certificateArn).toBe(`arn:aws:iot:eu-west-1:123456789012:cert/${fromCsr.certificateId}`);

    const withKeys = await iot.createKeysAndCertificate();
    expect(new X509Certificate(withKeys.certificatePem).checkPrivateKey(createPrivateKey(withKeys.privateKey))).toBe(true);
    expect(iot.certificateStatus(withKeys.certificateId)).toBe('ACTIVE');
  });

  it('rejects garbage and tampered CSRs', async () => {
    await expect(iot.createCertificateFromCsr('hello')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const { csrPem } = createTestCsr();
    const lines = csrPem.split('\n');
    lines[3] = lines[3]!.replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A'));
    await expect(iot.createCertificateFromCsr(lines.join('\n'))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('does not let a revoked certificate come back', async () => {
    const { certificateId } = await iot.createKeysAndCertificate();
    await iot.updateCertificateStatus(certificateId, 'REVOKED');
    await expect(iot.updateCertificateStatus(certificateId, 'ACTIVE')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('paginates every list in small pages, stable under deletes', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) await iot.createThing(name, {});
    const first = await iot.listThings();
    expect(first.items).toHaveLength(2);
    expect(first.nextToken).toBeDefined();
    await iot.deleteThing('a');
    const rest = await all((token) => iot.listThings(token ?? first.nextToken));
    expect([...first.items, ...rest]).toEqual(['a', 'b', 'c', 'd', 'e']);

    await iot.createPolicy('p1', DOC);
    const targets = [1, 2, 3].map((n) => `eu-west-1:0f0f0f0f-0000-4000-8000-00000000000${n}`);
    for (const target of targets) await iot.attachPolicy('p1', target);
    expect(await all((t) => iot.listPolicyTargets('p1', t))).toEqual(targets);
    expect(await all((t) => iot.listAttachedPolicies(targets[0]!, t))).toEqual(['p1']);
    await expect(iot.listThings('not-a-token')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
