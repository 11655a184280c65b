/**
 * A throwaway certificate authority for broker tests: the sandbox's own CertificateAuthority
 * (src/local/x509.ts), so the tests trust exactly the certificates local mode issues: a server
 * certificate for localhost/127.0.0.1 and device certificates with their keys.
 */
import { generateKeyPairSync } from 'node:crypto';
import { OID, distinguishedName } from '../../src/local/der-writer.js';
import { CertificateAuthority } from '../../src/local/x509.js';

export interface IssuedCertificate {
  certificatePem: string;
  keyPem: string;
  /** AWS IoT's certificate id: SHA-256 of the DER, lowercase hex. */
  certificateId: string;
}

export class TestCa {
  private readonly ca = CertificateAuthority.create();
  readonly certificatePem = this.ca.certificatePem;

  /** A TLS server certificate valid for localhost and 127.0.0.1. */
  issueServer(): IssuedCertificate {
    const { key, cert } = this.ca.issueServer(['localhost', '127.0.0.1'], new Date(Date.now() - 60_000));
    return { certificatePem: cert, keyPem: key, certificateId: '' };
  }

  /** A device certificate, as the sandbox issues it from a device's CSR. */
  issueClient(commonName = 'AWS IoT Certificate'): IssuedCertificate {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = this.ca.issue(
      distinguishedName([[OID.commonName, commonName]]),
      publicKey.export({ type: 'spki', format: 'der' }),
      new Date(Date.now() - 60_000),
    );
    return { ...issued, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }
}
