import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import { bytesOf, childrenOf, readNode, readObjectId } from '../certificates/der.js';
import {
  OID,
  bitString,
  booleanTrue,
  distinguishedName,
  explicit,
  integer,
  objectId,
  octetString,
  sequence,
  tlv,
  toPem,
  utcTime,
} from './der-writer.js';

/** AWS-issued device certificates are valid until the end of 2049; the sandbox's are too. */
export const AWS_CERT_NOT_AFTER = new Date('2049-12-31T23:59:59Z');

const HASH_BY_SIGNATURE_OID: Record<string, string> = {
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  [OID.ecdsaWithSha512]: 'sha512',
  [OID.sha256WithRsa]: 'sha256',
  [OID.sha384WithRsa]: 'sha384',
  [OID.sha512WithRsa]: 'sha512',
};
/** AWS IoT accepts RSA of 2048 bits or more and the NIST EC curves. */
const ACCEPTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

export interface ParsedCsr {
  subject: Buffer;
  spki: Buffer;
}

/** Reads a PKCS#10 CSR and checks its self-signature; throws with a reason for anything else. */
export function parseCsr(pem: string): ParsedCsr {
  const match = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(pem);
  if (!match) throw new Error('not a PEM certificate request');
  const der = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  const outer = readNode(der);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('not a DER SEQUENCE');
  const [info, algorithm, signature] = childrenOf(der, outer);
  if (!info || !algorithm || !signature || info.tag !== 0x30 || algorithm.tag !== 0x30 || signature.tag !== 0x03) {
    throw new Error('not a CertificationRequest');
  }
  const [version, subject, spki] = childrenOf(der, info);
  if (!version || !subject || !spki || version.tag !== 0x02 || subject.tag !== 0x30 || spki.tag !== 0x30) {
    throw new Error('malformed CertificationRequestInfo');
  }
  const publicKey = createPublicKey({ key: bytesOf(der, spki), format: 'der', type: 'spki' });
  checkKeyStrength(publicKey);
  const hash = HASH_BY_SIGNATURE_OID[readObjectId(der, childrenOf(der, algorithm)[0]!)];
  if (!hash) throw new Error('unsupported signature algorithm');
  const signatureBytes = der.subarray(signature.contentStart + 1, signature.end);
  if (!verify(hash, bytesOf(der, info), publicKey, signatureBytes)) throw new Error('the CSR signature does not verify');
  return { subject: bytesOf(der, subject), spki: bytesOf(der, spki) };
}

function checkKeyStrength(key: KeyObject): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) return;
  if (key.asymmetricKeyType === 'ec' && ACCEPTED_CURVES.has(details.namedCurve ?? '')) return;
  throw new Error('unsupported key type or size');
}

export interface IssuedX509 {
  /** AWS's certificate id is the SHA-256 fingerprint of the DER certificate: 64 hex characters. */
  certificateId: string;
  certificatePem: string;
}

/** What the sandbox keeps of its CA: the key never leaves the state file. */
export interface CertificateAuthorityState {
  keyPem: string;
  certificatePem: string;
}

const CA_NAME = distinguishedName([
  [OID.organizationName, 'iot-provisioner'],
  [OID.commonName, 'iot-provisioner Local IoT Core CA'],
]);
const ECDSA_SHA256 = sequence(objectId(OID.ecdsaWithSha256));

/** keyUsage bits (RFC 5280): digitalSignature 0, keyEncipherment 2, keyCertSign 5, cRLSign 6. */
const KEY_USAGE_CA = bitString(Buffer.from([0x06]), 1);
const KEY_USAGE_LEAF = bitString(Buffer.from([0xa0]), 5);

/**
 * The sandbox's certificate authority: an EC P-256 key and a self-signed CA certificate. It signs
 * device certificates (from a CSR or from generated keys, as AWS IoT does) and the local broker's
 * TLS server certificate, so one CA is all that clients and the broker need to trust.
 */
export class CertificateAuthority {
  readonly certificatePem: string;
  readonly publicKey: KeyObject;
  private readonly key: KeyObject;
  private readonly keyId: Buffer;

  private constructor(state: CertificateAuthorityState) {
    this.key = createPrivateKey(state.keyPem);
    this.publicKey = createPublicKey(this.key);
    this.certificatePem = state.certificatePem;
    this.keyId = keyIdentifier(this.publicKey.export({ type: 'spki', format: 'der' }));
  }

  /** A new CA valid from an hour ago until the end of 2049. */
  static create(now = new Date()): CertificateAuthority {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const id = keyIdentifier(spki);
    const der = signCertificate(privateKey, {
      subject: CA_NAME,
      spki,
      notBefore: new Date(now.getTime() - 3600_000),
      extensions: [
        extension(OID.basicConstraints, sequence(booleanTrue()), true),
        extension(OID.keyUsage, KEY_USAGE_CA, true),
        extension(OID.subjectKeyIdentifier, octetString(id)),
      ],
    });
    return new CertificateAuthority({
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      certificatePem: toPem('CERTIFICATE', der),
    });
  }

  static restore(state: CertificateAuthorityState): CertificateAuthority {
    const ca = new CertificateAuthority(state);
    if (!new X509Certificate(state.certificatePem).checkPrivateKey(ca.key)) throw new Error('the CA certificate does not match its key');
    return ca;
  }

  toState(): CertificateAuthorityState {
    return { keyPem: this.key.export({ type: 'pkcs8', format: 'pem' }).toString(), certificatePem: this.certificatePem };
  }

  /** A device certificate for the subject and key of a CSR. */
  issue(subject: Buffer, spki: Buffer, notBefore: Date): IssuedX509 {
    const der = this.sign(subject, spki, notBefore, [
      extension(OID.basicConstraints, sequence(), true),
      extension(OID.keyUsage, KEY_USAGE_LEAF, true),
    ]);
    return { certificateId: certificateIdOf(der), certificatePem: toPem('CERTIFICATE', der) };
  }

  /** CreateKeysAndCertificate: AWS generates an RSA 2048 key pair and returns the private key once. */
  issueKeysAndCertificate(notBefore: Date): IssuedX509 & { privateKey: string } {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const subject = distinguishedName([[OID.commonName, 'AWS IoT Certificate']]);
    const certificate = this.issue(subject, publicKey.export({ type: 'spki', format: 'der' }), notBefore);
    return { ...certificate, privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
  }

  /** A TLS server certificate for these host names and IP addresses, with a fresh EC key. */
  issueServer(hosts: string[], notBefore: Date): { key: string; cert: string } {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const names = [...new Set(hosts)].map((host) => {
      const version = isIP(host);
      if (version === 4) return tlv(0x87, Buffer.from(host.split('.').map(Number)));
      if (version === 6) throw new Error('IPv6 server names are not supported by the sandbox CA');
      return tlv(0x82, Buffer.from(host, 'ascii'));
    });
    const der = this.sign(
      distinguishedName([[OID.commonName, hosts[0] ?? 'localhost']]),
      publicKey.export({ type: 'spki', format: 'der' }),
      notBefore,
      [
        extension(OID.basicConstraints, sequence(), true),
        extension(OID.keyUsage, KEY_USAGE_LEAF, true),
        extension(OID.extKeyUsage, sequence(objectId(OID.serverAuth))),
        extension(OID.subjectAltName, sequence(...names)),
      ],
    );
    return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: toPem('CERTIFICATE', der) };
  }

  private sign(subject: Buffer, spki: Buffer, notBefore: Date, extensions: Buffer[]): Buffer {
    return signCertificate(this.key, {
      subject,
      issuer: CA_NAME,
      spki,
      notBefore,
      extensions: [
        ...extensions,
        extension(OID.subjectKeyIdentifier, octetString(keyIdentifier(spki))),
        extension(OID.authorityKeyIdentifier, sequence(tlv(0x80, this.keyId))),
      ],
    });
  }
}

/** The id AWS IoT gives a certificate: the lowercase hex SHA-256 of its DER. */
export function certificateIdOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

function signCertificate(key: KeyObject, input: { subject: Buffer; issuer?: Buffer; spki: Buffer; notBefore: Date; extensions: Buffer[] }): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    input.issuer ?? input.subject,
    sequence(utcTime(new Date(Math.floor(input.notBefore.getTime() / 1000) * 1000)), utcTime(AWS_CERT_NOT_AFTER)),
    input.subject,
    input.spki,
    explicit(3, sequence(...input.extensions)),
  );
  return sequence(tbs, ECDSA_SHA256, bitString(sign('sha256', tbs, key)));
}

function extension(oid: string, value: Buffer, critical = false): Buffer {
  return sequence(objectId(oid), ...(critical ? [booleanTrue()] : []), octetString(value));
}

/** RFC 5280's method 1 takes SHA-1 of the key bits; any stable digest of the key serves, and SHA-256 avoids SHA-1. */
function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha256').update(spki).digest().subarray(0, 20);
}
