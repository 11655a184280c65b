import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { AwsModule } from '../../../src/aws/aws.module.js';
import { IdentityPoolAdapter } from '../../../src/aws/identity-pool.adapter.js';
import { IdentityPoolPort } from '../../../src/aws/identity-pool.port.js';
import { IotAdapter } from '../../../src/aws/iot.adapter.js';
import { IotPort } from '../../../src/aws/iot.port.js';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { UserPoolAdapter } from '../../../src/aws/user-pool.adapter.js';
import { UserPoolPort } from '../../../src/aws/user-pool.port.js';
import { ConfigModule } from '../../../src/config/config.module.js';
import { FakeAws } from '../../fakes/fake-aws.js';
import { awsConfig } from './support.js';

describe('AwsModule', () => {
  it('binds each port to its adapter, sharing one QuotaLimiter', async () => {
    const config = awsConfig();
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), AwsModule.forRoot()] }).compile();
    const iot = moduleRef.get(IotPort);
    expect(iot).toBeInstanceOf(IotAdapter);
    // Proves constructor injection worked: the config and the shared limiter arrived.
    expect((iot as unknown as { config: unknown }).config).toBe(config);
    expect((iot as unknown as { limiter: QuotaLimiter }).limiter).toBe(moduleRef.get(QuotaLimiter));
    expect(moduleRef.get(UserPoolPort)).toBeInstanceOf(UserPoolAdapter);
    expect(moduleRef.get(IdentityPoolPort)).toBeInstanceOf(IdentityPoolAdapter);
    await moduleRef.close();
  });

  it('lets tests swap the adapters for the fakes', async () => {
    const aws = new FakeAws();
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(awsConfig()), AwsModule.forRoot()] })
      .overrideProvider(IotPort)
      .useValue(aws.iot)
      .compile();
    expect(moduleRef.get(IotPort)).toBe(aws.iot);
    await moduleRef.close();
  });
});
