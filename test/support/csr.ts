import { generateKeyPairSync, sign } from 'node:crypto';
import { OID, bitString, distinguishedName, integer, nullValue, objectId, sequence, tlv, toPem } from '../../src/local/der-writer.js';

export interface TestCsr {
  csrPem: string;
  /** PKCS#8 PEM of the key that stays "on the device". */
  privateKeyPem: string;
}

/**
 * A real PKCS#10 certificate signing request, as a device would send it (node:crypto cannot make one).
 * EC P-256 by default, the usual choice for constrained devices; RSA 2048 on request; other curves and sizes to test refusals.
 */
export function createTestCsr(options: { commonName?: string; keyType?: 'ec' | 'rsa'; namedCurve?: string; modulusLength?: number } = {}): TestCsr {
  const keyType = options.keyType ?? 'ec';
  const { publicKey, privateKey } =
    keyType === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: options.namedCurve ?? 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 });
  const info = sequence(
    integer(Buffer.from([0])),
    distinguishedName([[OID.commonName, options.commonName ?? 'test-device']]),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa0),
  );
  const algorithm = keyType === 'ec' ? sequence(objectId(OID.ecdsaWithSha256)) : sequence(objectId(OID.sha256WithRsa), nullValue());
  const csr = sequence(info, algorithm, bitString(sign('sha256', info, privateKey)));
  return {
    csrPem: toPem('CERTIFICATE REQUEST', csr),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
