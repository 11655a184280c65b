/**
 * Builds MQTT-over-WebSocket URLs the two ways clients sign them, independently of the service's
 * verifier: the AWS IoT Device SDK way (query signed without the session token, token appended
 * after X-Amz-Signature, host with the port unless it is 443), and the generic SigV4 presigner
 * (@smithy/signature-v4, token inside the signed query, X-Amz-Expires).
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignUrlInput {
  credentials: SigningCredentials;
  region: string;
  /** host:port as the client will send it in Host. */
  host: string;
  scheme: 'ws' | 'wss';
  date?: Date;
  service?: string;
  /** Signed X-Amz-Expires, as the CRT-based v2 SDKs and Amplify add it (token still appended after). */
  expiresIn?: number;
}

/** The AWS IoT Device SDK for JavaScript's presigned URL, step by step. */
export function deviceSdkUrl({
  credentials,
  region,
  host,
  scheme,
  date = new Date(),
  service = 'iotdevicegateway',
  expiresIn,
}: SignUrlInput): string {
  const amzDate = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const query =
    'X-Amz-Algorithm=AWS4-HMAC-SHA256' +
    `&X-Amz-Credential=${credentials.accessKeyId}%2F${day}%2F${region}%2F${service}%2Faws4_request` +
    `&X-Amz-Date=${amzDate}` +
    (expiresIn === undefined ? '' : `&X-Amz-Expires=${expiresIn}`) +
    '&X-Amz-SignedHeaders=host';
  const canonical = ['GET', '/mqtt', query, `host:${host.toLowerCase()}\n`, 'host', sha256('')].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, `${day}/${region}/${service}/aws4_request`, sha256(canonical)].join('\n');
  const key = [day, region, service, 'aws4_request'].reduce<Buffer | string>((k, part) => hmac(k, part), `AWS4${credentials.secretAccessKey}`);
  let url = `${scheme}://${host}/mqtt?${query}&X-Amz-Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`;
  if (credentials.sessionToken) url += `&X-Amz-Security-Token=${encodeURIComponent(credentials.sessionToken)}`;
  return url;
}

/** The same URL signed by the AWS SDK's SigV4 presigner. */
export async function presignerUrl(
  { credentials, region, host, scheme, date = new Date(), service = 'iotdevicegateway' }: SignUrlInput,
  expiresIn = 900,
): Promise<string> {
  const signer = new SignatureV4({ service, region, credentials, sha256: NodeSha256, applyChecksum: false });
  const [hostname, port] = host.split(':');
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: `${scheme}:`,
      hostname: hostname!,
      ...(port ? { port: Number(port) } : {}),
      path: '/mqtt',
      query: {},
      headers: { host },
    },
    { signingDate: date, expiresIn },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
  return `${scheme}://${host}/mqtt?${query}`;
}

class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
