import { X509Certificate, type KeyObject } from 'node:crypto';

/** When the certificate expires, read from the PEM AWS returned, so operators can see expiry coming. */
export function certificateNotAfter(certificatePem: string): Date {
  return new Date(new X509Certificate(certificatePem).validTo);
}

/** Whether the certificate certifies this public key (their SubjectPublicKeyInfo are equal). */
export function certifiesKey(certificatePem: string, key: KeyObject): boolean {
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  return spki(new X509Certificate(certificatePem).publicKey).equals(spki(key));
}
