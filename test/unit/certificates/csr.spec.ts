import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateCsr } from '../../../src/certificates/csr.js';
import { certificateFacts, certificateKeyFingerprint, certificateNotAfter } from '../../../src/certificates/pem.js';
import { isDomainError } from '../../../src/common/errors/domain-error.js';
import { AWS_CERT_NOT_AFTER, CertificateAuthority, parseCsr } from '../../../src/local/x509.js';
import { createTestCsr } from '../../support/csr.js';
import { OID, bitString, distinguishedName, integer, objectId, sequence, tlv, toPem } from '../../../src/local/der-writer.js';
import { tamperedCsr } from '../../support/factories.js';

function reasonFor(pem: string): string {
  try {
    validateCsr(pem);
  } catch (error) {
    if (isDomainError(error, 'INVALID_CSR')) return String(error.details?.reason);
    throw error;
  }
  throw new Error('the CSR was accepted');
}

/** A CSR signed with the given algorithm OID, to test algorithm checks the test CSR factory cannot produce. */
function csrSignedAs(algorithmOid: string, key = generateKeyPairSync('ec', { namedCurve: 'P-256' })): string {
  const info = sequence(
    integer(Buffer.from([0])),
    distinguishedName([[OID.commonName, 'x']]),
    key.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa0),
  );
  return toPem('CERTIFICATE REQUEST', sequence(info, sequence(objectId(algorithmOid)), bitString(sign('sha256', info, key.privateKey))));
}

describe('validateCsr', () => {
  it.each([
    ['EC P-256', createTestCsr(), { keyType: 'ec', size: 'P-256' }],
    ['EC P-384', createTestCsr({ namedCurve: 'P-384' }), { keyType: 'ec', size: 'P-384' }],
    ['RSA 2048', createTestCsr({ keyType: 'rsa' }), { keyType: 'rsa', size: 2048 }],
    ['RSA 3072', createTestCsr({ keyType: 'rsa', modulusLength: 3072 }), { keyType: 'rsa', size: 3072 }],
  ])('accepts %s', (_, { csrPem }, key) => {
    expect(validateCsr(csrPem)).toEqual({ ...key, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("fingerprints the key as its certificate's key, and tells two keys apart", () => {
    const csr = createTestCsr();
    const issued = CertificateAuthority.create().issue(parseCsr(csr.csrPem).subject, parseCsr(csr.csrPem).spki, new Date());
    expect(validateCsr(csr.csrPem).fingerprint).toBe(certificateKeyFingerprint(issued.certificatePem));
    expect(validateCsr(createTestCsr().csrPem).fingerprint).not.toBe(validateCsr(csr.csrPem).fingerprint);
  });

  it('accepts the legacy NEW CERTIFICATE REQUEST label and CRLF line ends', () => {
    const pem = createTestCsr()
      .csrPem.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST')
      .replace(/\n/g, '\r\n');
    expect(validateCsr(pem).keyType).toBe('ec');
  });

  it.each([
    ['garbage', 'hello', /not one PEM block/],
    ['a certificate instead of a request', CertificateAuthority.create().issueKeysAndCertificate(new Date()).certificatePem, /not one PEM block/],
    ['two requests in one', createTestCsr().csrPem + createTestCsr().csrPem, /not one PEM block/],
    [
      'a PEM block of garbage',
      '-----BEGIN CERTIFICATE REQUEST-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE REQUEST-----\n',
      /not a well-formed PKCS#10/,
    ],
    [
      'RSA 1024',
      createTestCsr({ keyType: 'rsa', modulusLength: 1024 }).csrPem,
      /RSA key has 1024 bits; use RSA of at least 2048 bits, or EC P-256 or P-384/,
    ],
    ['EC P-521', createTestCsr({ namedCurve: 'P-521' }).csrPem, /EC key is on curve secp521r1; use/],
    ['EC secp256k1', createTestCsr({ namedCurve: 'secp256k1' }).csrPem, /EC key is on curve secp256k1/],
    ['a tampered EC signature', tamperedCsr(createTestCsr().csrPem), /signature does not verify/],
    ['a tampered RSA signature', tamperedCsr(createTestCsr({ keyType: 'rsa' }).csrPem), /signature does not verify/],
    [
      'SHA-1 with RSA',
      csrSignedAs('1.2.840.113549.1.1.5', generateKeyPairSync('rsa', { modulusLength: 2048 })),
      /signature algorithm is not supported/,
    ],
    ['an RSA algorithm over an EC key', csrSignedAs(OID.sha256WithRsa), /signed with an RSA algorithm but holds an EC key/],
  ])('refuses %s, saying why', (_, pem, reason) => {
    expect(reasonFor(pem)).toMatch(reason);
  });

  it('refuses an Ed25519 key by type', () => {
    const key = generateKeyPairSync('ed25519');
    const info = sequence(
      integer(Buffer.from([0])),
      distinguishedName([[OID.commonName, 'x']]),
      key.publicKey.export({ type: 'spki', format: 'der' }),
      tlv(0xa0),
    );
    const pem = toPem('CERTIFICATE REQUEST', sequence(info, sequence(objectId('1.3.101.112')), bitString(sign(null, info, key.privateKey))));
    expect(reasonFor(pem)).toMatch(/key type ed25519 is not accepted/);
  });

  it('refuses a request whose subject was changed after signing', () => {
    const { csrPem } = createTestCsr({ commonName: 'device-a' });
    const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const altered = Buffer.from(der.toString('latin1').replace('device-a', 'device-b'), 'latin1');
    expect(reasonFor(toPem('CERTIFICATE REQUEST', altered))).toMatch(/signature does not verify/);
  });
});

describe('certificateNotAfter', () => {
  it('reads the expiry from the PEM', () => {
    expect(certificateNotAfter(CertificateAuthority.create().issueKeysAndCertificate(new Date()).certificatePem)).toEqual(AWS_CERT_NOT_AFTER);
  });

  it('is what certificateFacts reads, with the key fingerprint, from one parse', () => {
    const { certificatePem } = CertificateAuthority.create().issueKeysAndCertificate(new Date());
    expect(certificateFacts(certificatePem)).toEqual({ notAfter: AWS_CERT_NOT_AFTER, publicKeySha256: certificateKeyFingerprint(certificatePem) });
  });
});
