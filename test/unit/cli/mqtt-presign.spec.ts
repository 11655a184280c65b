import { describe, expect, it } from 'vitest';
import { presignMqttUrl } from '../../../src/cli/mqtt-presign.js';
import { verifyPresignedRequest } from '../../../src/local/sigv4.js';
import { deviceSdkUrl } from '../../support/iot-websocket-url.js';

const credentials = { accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'secret/with+chars', sessionToken: 'token+/=' };
const date = new Date('2026-12-01T12:00:00Z');

function verify(url: string, host: string) {
  const { pathname, search } = new URL(url);
  return verifyPresignedRequest(
    { method: 'GET', path: pathname, query: search.slice(1), headers: { host } },
    {
      service: 'iotdevicegateway',
      region: 'us-east-1',
      now: date,
      secretFor: () => ({ secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken }),
    },
  );
}

describe("the MQTT client's SigV4 presigned URL", () => {
  it("is the AWS IoT Device SDK's URL, port signed with the host when not 443", () => {
    const url = presignMqttUrl('wss://127.0.0.1:8443/mqtt', credentials, 'us-east-1', date);
    expect(url).toBe(deviceSdkUrl({ credentials, region: 'us-east-1', host: '127.0.0.1:8443', scheme: 'wss', date }));
    expect(verify(url, '127.0.0.1:8443')).toMatchObject({ ok: true });
  });

  it('signs the bare host on 443 and is refused for another host', () => {
    const url = presignMqttUrl('wss://a1b2-ats.iot.us-east-1.amazonaws.com/mqtt', credentials, 'us-east-1', date);
    expect(verify(url, 'a1b2-ats.iot.us-east-1.amazonaws.com')).toMatchObject({ ok: true });
    expect(verify(url, 'other-ats.iot.us-east-1.amazonaws.com')).toMatchObject({ ok: false });
  });
});
