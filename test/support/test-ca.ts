/**
 * A throwaway certificate authority for broker tests: a CA certificate, a server certificate for
 * localhost/127.0.0.1, and client certificates, all real X.509 v3 (EC P-256, ECDSA-SHA256) that
 * node's TLS verifies. Built with the DER helpers, because node:crypto cannot issue certificates.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { OID, bitString, distinguishedName, explicit, integer, objectId, sequence, tlv, toPem, utcTime } from '../../src/local/der-writer.js';

const OIDS = { basicConstraints: '2.5.29.19', subjectAltName: '2.5.29.17' };

export interface IssuedCertificate {
  certificatePem: string;
  keyPem: string;
  /** AWS IoT's certificate id: SHA-256 of the DER, lowercase hex. */
  certificateId: string;
}

export class TestCa {
  private readonly key: KeyObject;
  private readonly subject: Buffer;
  readonly certificatePem: string;

  constructor(name = 'Local IoT Test CA') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    this.subject = distinguishedName([[OID.commonName, name]]);
    const ca = extension(OIDS.basicConstraints, true, sequence(tlv(0x01, Buffer.from([0xff]))));
    this.certificatePem = this.sign(this.subject, publicKey, [ca]).certificatePem;
  }

  /** A TLS server certificate valid for localhost and 127.0.0.1. */
  issueServer(): IssuedCertificate {
    const san = sequence(tlv(0x82, Buffer.from('localhost')), tlv(0x87, Buffer.from([127, 0, 0, 1])));
    return this.issueLeaf('localhost', [extension(OIDS.subjectAltName, false, san)]);
  }

  /** A device certificate, as the sandbox would issue it. */
  issueClient(commonName = 'AWS IoT Certificate'): IssuedCertificate {
    return this.issueLeaf(commonName, []);
  }

  private issueLeaf(commonName: string, extensions: Buffer[]): IssuedCertificate {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = this.sign(distinguishedName([[OID.commonName, commonName]]), publicKey, extensions);
    return { ...issued, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }

  private sign(subject: Buffer, publicKey: KeyObject, extensions: Buffer[]): { certificatePem: string; certificateId: string } {
    const serial = randomBytes(16);
    serial[0] = (serial[0]! & 0x7f) | 0x01;
    const algorithm = sequence(objectId(OID.ecdsaWithSha256));
    const now = Date.now();
    const tbs = sequence(
      explicit(0, integer(Buffer.from([2]))),
      integer(serial),
      algorithm,
      this.subject,
      sequence(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 24 * 3600_000))),
      subject,
      publicKey.export({ type: 'spki', format: 'der' }),
      ...(extensions.length > 0 ? [explicit(3, sequence(...extensions))] : []),
    );
    const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, this.key)));
    return { certificatePem: toPem('CERTIFICATE', der), certificateId: createHash('sha256').update(der).digest('hex') };
  }
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectId(oid), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}
