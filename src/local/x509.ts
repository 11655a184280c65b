import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { bytesOf, childrenOf, readNode, readObjectId } from '../certificates/der.js';
import { OID, bitString, distinguishedName, explicit, integer, objectId, sequence, toPem, utcTime } from './der-writer.js';

/** The issuer AWS IoT writes into the certificates it issues (one odd OU holding the whole name). */
const AWS_ISSUER = distinguishedName([[OID.organizationalUnit, 'Amazon Web Services O=Amazon.com Inc. L=Seattle ST=Washington C=US']]);
/** AWS-issued device certificates are valid until the end of 2049. */
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

let issuerKey: KeyObject | undefined;
/** One fake CA per test process; generating it per certificate would only cost time. */
export function fakeCaPublicKey(): KeyObject {
  return createPublicKey(caKey());
}
function caKey(): KeyObject {
  issuerKey ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return issuerKey;
}

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

/** Issues a real X.509 v3 certificate for the subject and key, signed by the fake CA. */
export function issueCertificate(subject: Buffer, spki: Buffer, notBefore: Date): IssuedX509 {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const algorithm = sequence(objectId(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    AWS_ISSUER,
    sequence(utcTime(new Date(Math.floor(notBefore.getTime() / 1000) * 1000)), utcTime(AWS_CERT_NOT_AFTER)),
    subject,
    spki,
  );
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, caKey())));
  return { certificateId: createHash('sha256').update(der).digest('hex'), certificatePem: toPem('CERTIFICATE', der) };
}

/** CreateKeysAndCertificate: AWS generates an RSA 2048 key pair and returns the private key once. */
export function issueKeysAndCertificate(notBefore: Date): IssuedX509 & { privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const subject = distinguishedName([[OID.commonName, 'AWS IoT Certificate']]);
  const certificate = issueCertificate(subject, publicKey.export({ type: 'spki', format: 'der' }), notBefore);
  return { ...certificate, privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
}
