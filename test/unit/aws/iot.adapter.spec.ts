import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteThingCommand,
  DescribeEndpointCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  DescribeCertificateCommand,
  GetPolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  SetDefaultPolicyVersionCommand,
  ResourceAlreadyExistsException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { IotAdapter } from '../../../src/aws/iot.adapter.js';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { loadConfig, type AppConfig } from '../../../src/config/app-config.js';
import { awsConfig, awsFailure } from './support.js';

const iotMock = mockClient(IoTClient);
const CERT_ID = 'a'.repeat(64);
const CERT_ARN = `arn:aws:iot:eu-west-1:123456789012:cert/${CERT_ID}`;

function adapter(config: AppConfig = awsConfig()): IotAdapter {
  return new IotAdapter(config, new QuotaLimiter(config));
}

function inputOf(command: unknown, index = 0): unknown {
  return iotMock.commandCalls(command as never)[index]?.args[0].input;
}

describe('IotAdapter', () => {
  beforeEach(() => iotMock.reset());

  describe('policies', () => {
    it('CreatePolicy', async () => {
      iotMock.on(CreatePolicyCommand).resolves({ policyArn: 'arn:policy/p1' });
      await expect(adapter().createPolicy('p1', '{"Statement":[]}')).resolves.toEqual({ policyArn: 'arn:policy/p1' });
      expect(inputOf(CreatePolicyCommand)).toEqual({ policyName: 'p1', policyDocument: '{"Statement":[]}' });
    });

    it('ListPolicyVersions', async () => {
      iotMock.on(ListPolicyVersionsCommand).resolves({
        policyVersions: [
          { versionId: '1', isDefaultVersion: true },
          { versionId: '2', isDefaultVersion: false },
        ],
      });
      await expect(adapter().listPolicyVersions('p1')).resolves.toEqual([
        { versionId: '1', isDefault: true },
        { versionId: '2', isDefault: false },
      ]);
      expect(inputOf(ListPolicyVersionsCommand)).toEqual({ policyName: 'p1' });
    });

    it('GetPolicy and CreatePolicyVersion', async () => {
      iotMock.on(GetPolicyCommand).resolves({
        policyName: 'p1',
        policyArn: 'arn:aws:iot:eu-west-1:123456789012:policy/p1',
        policyDocument: '{"Statement":[]}',
        defaultVersionId: '3',
      });
      iotMock.on(CreatePolicyVersionCommand).resolves({ policyVersionId: '4', isDefaultVersion: true });
      await expect(adapter().getPolicy('p1')).resolves.toEqual({
        policyArn: 'arn:aws:iot:eu-west-1:123456789012:policy/p1',
        document: '{"Statement":[]}',
        defaultVersionId: '3',
      });
      await expect(adapter().createPolicyVersion('p1', '{"Statement":[1]}', true)).resolves.toEqual({ versionId: '4' });
      expect(inputOf(GetPolicyCommand)).toEqual({ policyName: 'p1' });
      expect(inputOf(CreatePolicyVersionCommand)).toEqual({ policyName: 'p1', policyDocument: '{"Statement":[1]}', setAsDefault: true });
    });

    it('DeletePolicyVersion and DeletePolicy', async () => {
      iotMock.on(DeletePolicyVersionCommand).resolves({}).on(DeletePolicyCommand).resolves({});
      await adapter().deletePolicyVersion('p1', '2');
      await adapter().deletePolicy('p1');
      expect(inputOf(DeletePolicyVersionCommand)).toEqual({ policyName: 'p1', policyVersionId: '2' });
      expect(inputOf(DeletePolicyCommand)).toEqual({ policyName: 'p1' });
    });

    it('SetDefaultPolicyVersion', async () => {
      iotMock.on(SetDefaultPolicyVersionCommand).resolves({});
      await adapter().setDefaultPolicyVersion('p1', '3');
      expect(inputOf(SetDefaultPolicyVersionCommand)).toEqual({ policyName: 'p1', policyVersionId: '3' });
    });

    it('AttachPolicy and DetachPolicy', async () => {
      iotMock.on(AttachPolicyCommand).resolves({}).on(DetachPolicyCommand).resolves({});
      await adapter().attachPolicy('p1', CERT_ARN);
      await adapter().detachPolicy('p1', 'eu-west-1:abcd');
      expect(inputOf(AttachPolicyCommand)).toEqual({ policyName: 'p1', target: CERT_ARN });
      expect(inputOf(DetachPolicyCommand)).toEqual({ policyName: 'p1', target: 'eu-west-1:abcd' });
    });

    it('ListTargetsForPolicy pages with marker/nextMarker', async () => {
      iotMock.on(ListTargetsForPolicyCommand).resolves({ targets: [CERT_ARN], nextMarker: 'm2' });
      await expect(adapter().listPolicyTargets('p1', 'm1')).resolves.toEqual({ items: [CERT_ARN], nextToken: 'm2' });
      expect(inputOf(ListTargetsForPolicyCommand)).toEqual({ policyName: 'p1', marker: 'm1', pageSize: 250 });
    });

    it('ListAttachedPolicies pages with marker/nextMarker, not recursive', async () => {
      iotMock.on(ListAttachedPoliciesCommand).resolves({ policies: [{ policyName: 'p1', policyArn: 'a' }], nextMarker: 'm2' });
      await expect(adapter().listAttachedPolicies(CERT_ARN)).resolves.toEqual({ items: ['p1'], nextToken: 'm2' });
      expect(inputOf(ListAttachedPoliciesCommand)).toEqual({ target: CERT_ARN, recursive: false });
    });

    it('ListPolicies pages with marker/nextMarker', async () => {
      iotMock.on(ListPoliciesCommand).resolves({ policies: [{ policyName: 'p1' }, { policyName: 'p2' }] });
      await expect(adapter().listPolicies('m1')).resolves.toEqual({ items: ['p1', 'p2'] });
      expect(inputOf(ListPoliciesCommand)).toEqual({ marker: 'm1', pageSize: 250 });
    });
  });

  describe('things', () => {
    it('CreateThing with attributes', async () => {
      iotMock.on(CreateThingCommand).resolves({ thingName: 't1', thingArn: 'arn:thing/t1' });
      await expect(adapter().createThing('t1', { owner: 'u1' })).resolves.toEqual({ thingName: 't1', thingArn: 'arn:thing/t1' });
      expect(inputOf(CreateThingCommand)).toEqual({ thingName: 't1', attributePayload: { attributes: { owner: 'u1' } } });
    });

    it('DeleteThing', async () => {
      iotMock.on(DeleteThingCommand).resolves({});
      await adapter().deleteThing('t1');
      expect(inputOf(DeleteThingCommand)).toEqual({ thingName: 't1' });
    });

    it('ListThings pages with nextToken', async () => {
      iotMock.on(ListThingsCommand).resolves({ things: [{ thingName: 't1' }], nextToken: 'n2' });
      await expect(adapter().listThings('n1')).resolves.toEqual({ items: ['t1'], nextToken: 'n2' });
      expect(inputOf(ListThingsCommand)).toEqual({ nextToken: 'n1', maxResults: 250 });
    });

    it('AttachThingPrincipal, DetachThingPrincipal, ListThingPrincipals', async () => {
      iotMock
        .on(AttachThingPrincipalCommand)
        .resolves({})
        .on(DetachThingPrincipalCommand)
        .resolves({})
        .on(ListThingPrincipalsCommand)
        .resolves({ principals: [CERT_ARN] });
      await adapter().attachThingPrincipal('t1', CERT_ARN);
      await adapter().detachThingPrincipal('t1', CERT_ARN);
      await expect(adapter().listThingPrincipals('t1', 'n1')).resolves.toEqual({ items: [CERT_ARN] });
      expect(inputOf(AttachThingPrincipalCommand)).toEqual({ thingName: 't1', principal: CERT_ARN });
      expect(inputOf(DetachThingPrincipalCommand)).toEqual({ thingName: 't1', principal: CERT_ARN });
      expect(inputOf(ListThingPrincipalsCommand)).toEqual({ thingName: 't1', nextToken: 'n1' });
    });
  });

  describe('certificates', () => {
    const issued = { certificateId: CERT_ID, certificateArn: CERT_ARN, certificatePem: 'PEM' };

    it('CreateCertificateFromCsr, active', async () => {
      iotMock.on(CreateCertificateFromCsrCommand).resolves(issued);
      await expect(adapter().createCertificateFromCsr('CSR')).resolves.toEqual(issued);
      expect(inputOf(CreateCertificateFromCsrCommand)).toEqual({ certificateSigningRequest: 'CSR', setAsActive: true });
    });

    it('CreateKeysAndCertificate returns the private key', async () => {
      iotMock.on(CreateKeysAndCertificateCommand).resolves({ ...issued, keyPair: { PrivateKey: 'KEY', PublicKey: 'PUB' } });
      await expect(adapter().createKeysAndCertificate()).resolves.toEqual({ ...issued, privateKey: 'KEY' });
      expect(inputOf(CreateKeysAndCertificateCommand)).toEqual({ setAsActive: true });
    });

    it('UpdateCertificate and DeleteCertificate without force', async () => {
      iotMock.on(UpdateCertificateCommand).resolves({}).on(DeleteCertificateCommand).resolves({});
      await adapter().updateCertificateStatus(CERT_ID, 'INACTIVE');
      await adapter().deleteCertificate(CERT_ID);
      expect(inputOf(UpdateCertificateCommand)).toEqual({ certificateId: CERT_ID, newStatus: 'INACTIVE' });
      expect(inputOf(DeleteCertificateCommand)).toEqual({ certificateId: CERT_ID, forceDelete: false });
    });

    it('ListCertificates pages with marker/nextMarker, newest first, with creation dates', async () => {
      const creationDate = new Date('2026-01-02T03:04:05Z');
      iotMock
        .on(ListCertificatesCommand)
        .resolves({ certificates: [{ certificateId: CERT_ID, certificateArn: CERT_ARN, status: 'ACTIVE', creationDate }], nextMarker: 'm2' });
      await expect(adapter().listCertificates()).resolves.toEqual({
        items: [{ certificateId: CERT_ID, certificateArn: CERT_ARN, status: 'ACTIVE', createdAt: creationDate }],
        nextToken: 'm2',
      });
      expect(inputOf(ListCertificatesCommand)).toEqual({ pageSize: 250, ascendingOrder: false });
    });

    it('DescribeCertificate returns the PEM and status', async () => {
      iotMock
        .on(DescribeCertificateCommand)
        .resolves({ certificateDescription: { certificateId: CERT_ID, certificatePem: 'PEM', status: 'ACTIVE' } });
      await expect(adapter().describeCertificate(CERT_ID)).resolves.toEqual({ certificatePem: 'PEM', status: 'ACTIVE' });
      expect(inputOf(DescribeCertificateCommand)).toEqual({ certificateId: CERT_ID });
    });
  });

  describe('policies read back', () => {
    it('GetPolicy returns the ARN and the default document', async () => {
      iotMock.on(GetPolicyCommand).resolves({
        policyName: 'p',
        policyArn: 'arn:aws:iot:eu-west-1:123456789012:policy/p',
        policyDocument: '{"Statement":[]}',
        defaultVersionId: '2',
      });
      await expect(adapter().getPolicy('p')).resolves.toEqual({
        policyArn: 'arn:aws:iot:eu-west-1:123456789012:policy/p',
        document: '{"Statement":[]}',
        defaultVersionId: '2',
      });
      expect(inputOf(GetPolicyCommand)).toEqual({ policyName: 'p' });
    });
  });

  describe('data endpoint', () => {
    it('asks DescribeEndpoint for the ATS data endpoint and maps a failure', async () => {
      iotMock.on(DescribeEndpointCommand).rejectsOnce(awsFailure('ServiceUnavailableException')).resolves({ endpointAddress: 'abc-ats' });
      const subject = adapter();
      await expect(subject.dataEndpoint()).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
      await expect(subject.dataEndpoint()).resolves.toBe('abc-ats');
      expect(inputOf(DescribeEndpointCommand)).toEqual({ endpointType: 'iot:Data-ATS' });
    });
  });

  describe('errors', () => {
    it('refuses with AWS_NOT_CONFIGURED naming the missing variables, without calling AWS', async () => {
      const error = await adapter(loadConfig({ COGNITO_CLIENT_ID: 'client123', COGNITO_IDENTITY_POOL_ID: 'eu-west-1:1234' }))
        .createThing('t1', {})
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'AWS_NOT_CONFIGURED', message: 'AWS is not configured: set AWS_REGION, COGNITO_USER_POOL_ID' });
      expect(iotMock.calls()).toHaveLength(0);
    });

    it.each([
      ['ResourceAlreadyExistsException', 'CONFLICT'],
      ['ResourceNotFoundException', 'NOT_FOUND'],
      ['DeleteConflictException', 'CONFLICT'],
      ['CertificateStateException', 'CONFLICT'],
      ['InvalidRequestException', 'VALIDATION_FAILED'],
      ['ThrottlingException', 'AWS_THROTTLED'],
      ['UnauthorizedException', 'AWS_UNAVAILABLE'],
      ['ServiceUnavailableException', 'AWS_UNAVAILABLE'],
      ['InternalFailureException', 'AWS_UNAVAILABLE'],
    ])('maps %s to %s', async (name, code) => {
      iotMock.on(DeleteCertificateCommand).rejects(awsFailure(name));
      await expect(adapter().deleteCertificate(CERT_ID)).rejects.toMatchObject({ code, details: { awsError: name, api: 'DeleteCertificate' } });
    });

    it('maps the SDK exception class and a network failure', async () => {
      iotMock.on(CreateThingCommand).rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {} }));
      await expect(adapter().createThing('t1', {})).rejects.toMatchObject({ code: 'CONFLICT' });
      iotMock.on(CreateThingCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      await expect(adapter().createThing('t1', {})).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', details: { cause: 'ECONNREFUSED' } });
    });

    it('maps the 11th policy on a target to CONFLICT', async () => {
      iotMock.on(AttachPolicyCommand).rejects(awsFailure('LimitExceededException'));
      await expect(adapter().attachPolicy('p1', CERT_ARN)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'POLICY_LIMIT' } });
    });
  });
});
