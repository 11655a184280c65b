import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import { IotEndpoint } from '../../../src/aws/iot-endpoint.js';
import type { IotPort } from '../../../src/aws/iot.port.js';
import { loadConfig } from '../../../src/config/app-config.js';

function portAnswering(...answers: Array<string | Error>): { port: IotPort; calls: () => number } {
  let calls = 0;
  const port = {
    dataEndpoint: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as IotPort;
  return { port, calls: () => calls };
}

describe('IotEndpoint', () => {
  it('asks DescribeEndpoint once per process, even for concurrent first callers', async () => {
    const { port, calls } = portAnswering('abc-ats.iot.eu-west-1.amazonaws.com');
    const endpoint = new IotEndpoint(port, loadConfig({ AWS_MODE: 'aws' }));
    const answers = await Promise.all([endpoint.get(), endpoint.get(), endpoint.get()]);
    await endpoint.get();
    expect(answers).toEqual(Array(3).fill('abc-ats.iot.eu-west-1.amazonaws.com'));
    expect(calls()).toBe(1);
  });

  it('does not keep a failure', async () => {
    const { port, calls } = portAnswering(new DomainError('AWS_UNAVAILABLE', 'down'), 'abc-ats');
    const endpoint = new IotEndpoint(port, loadConfig({ AWS_MODE: 'aws' }));
    await expect(endpoint.get()).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
    await expect(endpoint.get()).resolves.toBe('abc-ats');
    expect(calls()).toBe(2);
  });

  it('never asks when IOT_ENDPOINT is set', async () => {
    const { port, calls } = portAnswering('unused');
    const endpoint = new IotEndpoint(port, loadConfig({ IOT_ENDPOINT: 'own-ats.iot.eu-west-1.amazonaws.com' }));
    await expect(endpoint.get()).resolves.toBe('own-ats.iot.eu-west-1.amazonaws.com');
    expect(calls()).toBe(0);
  });
});
