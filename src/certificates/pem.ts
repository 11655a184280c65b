import { X509Certificate } from 'node:crypto';

/** When the certificate expires, read from the PEM AWS returned, so operators can see expiry coming. */
export function certificateNotAfter(certificatePem: string): Date {
  return new Date(new X509Certificate(certificatePem).validTo);
}
