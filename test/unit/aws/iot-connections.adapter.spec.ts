import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteConnectionCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { IotConnectionsAdapter } from '../../../src/aws/iot-connections.adapter.js';
import { IotEndpoint } from '../../../src/aws/iot-endpoint.js';
import type { IotPort } from '../../../src/aws/iot.port.js';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import type { AppConfig } from '../../../src/config/app-config.js';
import { awsConfig, awsFailure } from './support.js';

const dataPlane = mockClient(IoTDataPlaneClient);
const ENDPOINT = 'abc123-ats.iot.eu-west-1.amazonaws.com';

function adapter(config: AppConfig = awsConfig({ IOT_ENDPOINT: ENDPOINT })): IotConnectionsAdapter {
  const iot = { dataEndpoint: async () => 'described-ats.iot.eu-west-1.amazonaws.com' } as unknown as IotPort;
  return new IotConnectionsAdapter(config, new QuotaLimiter(config), new IotEndpoint(iot, config));
}

/** The endpoint the SDK client was built with, as a URL string. */
async function endpointOf(): Promise<string> {
  const client = dataPlane.send.thisValues[0] as IoTDataPlaneClient;
  const endpoint = await client.config.endpoint!();
  return `${endpoint.protocol}//${endpoint.hostname}${endpoint.path}`;
}

describe('IotConnectionsAdapter', () => {
  beforeEach(() => dataPlane.reset());

  it('sends DeleteConnection with the client id, the session choice and the will kept, to https://<iot:Data-ATS endpoint>', async () => {
    dataPlane.on(DeleteConnectionCommand).resolves({});

    expect(await adapter().deleteConnection({ clientId: 'iotp_alice_kettle', cleanSession: true })).toBe(true);

    expect(dataPlane.commandCalls(DeleteConnectionCommand).map((call) => call.args[0].input)).toEqual([
      { clientId: 'iotp_alice_kettle', cleanSession: true, preventWillMessage: false },
    ]);
    expect(await endpointOf()).toBe(`https://${ENDPOINT}/`);
  });

  it('asks DescribeEndpoint for the data endpoint when IOT_ENDPOINT is unset', async () => {
    dataPlane.on(DeleteConnectionCommand).resolves({});

    await adapter(awsConfig()).deleteConnection({ clientId: 'alice', cleanSession: false });

    expect(dataPlane.commandCalls(DeleteConnectionCommand)[0]!.args[0].input).toEqual({
      clientId: 'alice',
      cleanSession: false,
      preventWillMessage: false,
    });
    expect(await endpointOf()).toBe('https://described-ats.iot.eu-west-1.amazonaws.com/');
  });

  it('answers false when the client is not connected (ResourceNotFoundException)', async () => {
    dataPlane.on(DeleteConnectionCommand).rejects(awsFailure('ResourceNotFoundException'));

    expect(await adapter().deleteConnection({ clientId: 'alice', cleanSession: false })).toBe(false);
  });

  it('translates throttling and a missing iot:DeleteConnection permission', async () => {
    dataPlane.on(DeleteConnectionCommand).rejectsOnce(awsFailure('ThrottlingException')).rejectsOnce(awsFailure('ForbiddenException'));

    await expect(adapter().deleteConnection({ clientId: 'alice', cleanSession: false })).rejects.toMatchObject({ code: 'AWS_THROTTLED' });
    await expect(adapter().deleteConnection({ clientId: 'alice', cleanSession: false })).rejects.toMatchObject({
      code: 'AWS_UNAVAILABLE',
      details: expect.objectContaining({ permission: 'iot:DeleteConnection' }),
    });
  });
});
