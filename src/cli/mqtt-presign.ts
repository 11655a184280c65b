import { createHash, createHmac } from 'node:crypto';

export interface PresignCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * An MQTT-over-WebSocket URL presigned with SigV4 for AWS IoT, as the AWS IoT Device SDK for
 * JavaScript signs it: service `iotdevicegateway`, only `host` signed (with the port unless it is
 * 443), the session token appended after X-Amz-Signature.
 */
export function presignMqttUrl(websocketUrl: string, credentials: PresignCredentials, region: string, date = new Date()): string {
  const url = new URL(websocketUrl);
  const service = 'iotdevicegateway';
  const amzDate = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const query =
    'X-Amz-Algorithm=AWS4-HMAC-SHA256' +
    `&X-Amz-Credential=${encodeURIComponent(`${credentials.accessKeyId}/${scope}`)}` +
    `&X-Amz-Date=${amzDate}` +
    '&X-Amz-SignedHeaders=host';
  const canonical = ['GET', url.pathname, query, `host:${url.host.toLowerCase()}\n`, 'host', sha256('')].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = [day, region, service, 'aws4_request'].reduce<Buffer | string>((k, part) => hmac(k, part), `AWS4${credentials.secretAccessKey}`);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const token = credentials.sessionToken ? `&X-Amz-Security-Token=${encodeURIComponent(credentials.sessionToken)}` : '';
  return `${url.protocol}//${url.host}${url.pathname}?${query}&X-Amz-Signature=${signature}${token}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
