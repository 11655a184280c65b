import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AMAZON_ROOT_CA_1 } from '../../../src/aws/amazon-root-ca.js';
import { LocalIot } from '../../../src/local/local-iot.js';
import { CertificateAuthority } from '../../../src/local/x509.js';
import { createTestCsr } from '../../support/csr.js';

function derOf(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

describe('the sandbox CA', () => {
  const ca = CertificateAuthority.create();
  const caCert = new X509Certificate(ca.certificatePem);

  it('is a self-signed CA certificate', () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toBe(caCert.issuer);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
  });

  it('issues device certificates from a CSR that chain to it, for the device key, with AWS IoT ids', async () => {
    const iot = new LocalIot({ ca });
    const csr = createTestCsr({ commonName: 'scanner-1' });
    const issued = await iot.createCertificateFromCsr(csr.csrPem);
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe('CN=scanner-1');
    expect(cert.checkPrivateKey(createPrivateKey(csr.privateKeyPem))).toBe(true);
    expect(issued.certificateId).toBe(createHash('sha256').update(derOf(issued.certificatePem)).digest('hex'));
  });

  it('issues generated keys and certificates that chain to it', async () => {
    const issued = await new LocalIot({ ca }).createKeysAndCertificate();
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.checkIssued(caCert) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(issued.privateKey))).toBe(true);
    expect(issued.certificateId).toBe(createHash('sha256').update(cert.raw).digest('hex'));
  });

  it('issues server certificates naming the broker host names and addresses', () => {
    const { key, cert } = ca.issueServer(['localhost', '127.0.0.1', 'broker.test'], new Date());
    const server = new X509Certificate(cert);
    expect(server.checkIssued(caCert) && server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, DNS:broker.test');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('other.test')).toBeUndefined();
    expect(server.checkPrivateKey(createPrivateKey(key))).toBe(true);
  });

  it('comes back from its saved state signing for the same certificate', () => {
    const restored = CertificateAuthority.restore(ca.toState());
    const issued = restored.issueKeysAndCertificate(new Date());
    expect(new X509Certificate(issued.certificatePem).verify(caCert.publicKey)).toBe(true);
    expect(() => CertificateAuthority.restore({ ...ca.toState(), certificatePem: CertificateAuthority.create().certificatePem })).toThrow(
      /does not match/,
    );
  });
});

describe('Amazon Root CA 1', () => {
  it('is the certificate AWS publishes (by its SHA-256 fingerprint)', () => {
    const cert = new X509Certificate(AMAZON_ROOT_CA_1);
    expect(cert.fingerprint256).toBe('8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E');
    expect(cert.subject).toBe('C=US\nO=Amazon\nCN=Amazon Root CA 1');
  });
});
