import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { DomainError } from '../common/errors/domain-error.js';
import { publicKeyFingerprint } from './pem.js';
import { TAG, bytesOf, childrenOf, contentOf, readNode, readObjectId, type DerNode } from './der.js';

/** Signature algorithms a device may sign its request with, by OID: the hash, and the key type that signs. */
const SIGNATURE_ALGORITHMS: Record<string, { hash: string; keyType: 'ec' | 'rsa' }> = {
  '1.2.840.10045.4.3.2': { hash: 'sha256', keyType: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', keyType: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', keyType: 'ec' },
  '1.2.840.113549.1.1.11': { hash: 'sha256', keyType: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', keyType: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', keyType: 'rsa' },
};

/** OpenSSL's names for the curves accepted, and the names operators know them by. */
const ACCEPTED_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384' };
const MIN_RSA_BITS = 2048;
const KEY_RULE = `RSA of at least ${MIN_RSA_BITS} bits, or EC P-256 or P-384`;

const PEM = /^\s*-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END (?:NEW )?CERTIFICATE REQUEST-----\s*$/;

export interface CsrKey {
  keyType: 'ec' | 'rsa';
  /** RSA modulus bits or EC curve, e.g. 2048 or 'P-256'. */
  size: number | string;
  /** SHA-256 of the key's SubjectPublicKeyInfo (see publicKeyFingerprint). */
  fingerprint: string;
}

/**
 * Checks a PKCS#10 request before it reaches AWS: one PEM block that parses, a key AWS IoT and
 * constrained TLS stacks both accept, and a self-signature that verifies (proof that whoever
 * sent it holds the private key). Throws INVALID_CSR (400) naming the first problem found.
 */
export function validateCsr(pem: string): CsrKey {
  const match = PEM.exec(pem);
  if (!match) throw invalid('it is not one PEM block between -----BEGIN CERTIFICATE REQUEST----- and -----END CERTIFICATE REQUEST-----');
  const der = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  const parts = structure(der);
  const key = publicKey(bytesOf(der, parts.spki));
  const summary = checkKey(key);
  const algorithm = SIGNATURE_ALGORITHMS[readObjectIdOrFail(der, parts.algorithm)];
  if (!algorithm) throw invalid('its signature algorithm is not supported: sign it with ECDSA or RSA (PKCS#1 v1.5) over SHA-256, SHA-384 or SHA-512');
  if (algorithm.keyType !== summary.keyType)
    throw invalid(`it is signed with an ${algorithm.keyType.toUpperCase()} algorithm but holds an ${summary.keyType.toUpperCase()} key`);
  const bits = contentOf(der, parts.signature);
  if (bits.length < 2 || bits[0] !== 0) throw invalid('its signature is not a whole number of bytes');
  if (!verify(algorithm.hash, bytesOf(der, parts.info), key, bits.subarray(1))) {
    throw invalid('its signature does not verify: the request was altered or not signed by its key');
  }
  return { ...summary, fingerprint: publicKeyFingerprint(key) };
}

/** The request's public key, to find the certificate AWS issued for it (certifiesKey in pem.ts). */
export function csrPublicKey(pem: string): KeyObject {
  const match = PEM.exec(pem);
  if (!match) throw invalid('it is not one PEM block between -----BEGIN CERTIFICATE REQUEST----- and -----END CERTIFICATE REQUEST-----');
  const der = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  return publicKey(bytesOf(der, structure(der).spki));
}

interface CsrParts {
  info: DerNode;
  spki: DerNode;
  algorithm: DerNode;
  signature: DerNode;
}

/** CertificationRequest ::= SEQUENCE { info SEQUENCE { version, subject, spki, [0] attributes }, algorithm, signature }. */
function structure(der: Buffer): CsrParts {
  try {
    const outer = readNode(der);
    if (outer.tag !== TAG.sequence || outer.end !== der.length) throw new Error();
    const [info, algorithm, signature, extra] = childrenOf(der, outer);
    if (
      !info ||
      !algorithm ||
      !signature ||
      extra ||
      info.tag !== TAG.sequence ||
      algorithm.tag !== TAG.sequence ||
      signature.tag !== TAG.bitString
    ) {
      throw new Error();
    }
    const [version, subject, spki] = childrenOf(der, info);
    if (version?.tag !== TAG.integer || subject?.tag !== TAG.sequence || spki?.tag !== TAG.sequence) throw new Error();
    if (!contentOf(der, version).equals(Buffer.from([0]))) throw new Error();
    return { info, spki, algorithm, signature };
  } catch {
    throw invalid('it is not a well-formed PKCS#10 certificate signing request');
  }
}

function publicKey(spki: Buffer): KeyObject {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    throw invalid('its public key cannot be read');
  }
}

function checkKey(key: KeyObject): Omit<CsrKey, 'fingerprint'> {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw invalid(`its RSA key has ${bits} bits; use ${KEY_RULE}`);
    return { keyType: 'rsa', size: bits };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = ACCEPTED_CURVES[details.namedCurve ?? ''];
    if (!curve) throw invalid(`its EC key is on curve ${details.namedCurve ?? 'unknown'}; use ${KEY_RULE}`);
    return { keyType: 'ec', size: curve };
  }
  throw invalid(`its key type ${key.asymmetricKeyType ?? 'unknown'} is not accepted; use ${KEY_RULE}`);
}

function readObjectIdOrFail(der: Buffer, algorithm: DerNode): string {
  try {
    return readObjectId(der, childrenOf(der, algorithm)[0] ?? algorithm);
  } catch {
    throw invalid('its signature algorithm cannot be read');
  }
}

function invalid(reason: string): DomainError {
  return new DomainError('INVALID_CSR', `The certificate signing request is invalid: ${reason}`, { reason });
}
