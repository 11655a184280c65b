import { createHash, X509Certificate, type KeyObject } from 'node:crypto';

/** When the certificate expires, read from the PEM AWS returned, so operators can see expiry coming. */
export function certificateNotAfter(certificatePem: string): Date {
  return new Date(new X509Certificate(certificatePem).validTo);
}

/**
 * SHA-256 of a public key's DER SubjectPublicKeyInfo, hex: the same for a key whether it arrives
 * in a CSR or in the certificate AWS issued for it. One key on two devices is a Device Defender
 * audit finding (a device's identity must be its own), so the service registers each key once.
 */
export function publicKeyFingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function certificateKeyFingerprint(certificatePem: string): string {
  return publicKeyFingerprint(new X509Certificate(certificatePem).publicKey);
}

/** certificateNotAfter and certificateKeyFingerprint from one parse of the PEM (a registration reads both). */
export function certificateFacts(certificatePem: string): { notAfter: Date; publicKeySha256: string } {
  const certificate = new X509Certificate(certificatePem);
  return { notAfter: new Date(certificate.validTo), publicKeySha256: publicKeyFingerprint(certificate.publicKey) };
}

/** Whether the certificate certifies this public key (their SubjectPublicKeyInfo are equal). */
export function certifiesKey(certificatePem: string, key: KeyObject): boolean {
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  return spki(new X509Certificate(certificatePem).publicKey).equals(spki(key));
}
