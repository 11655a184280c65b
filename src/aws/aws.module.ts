import { Global, Module } from '@nestjs/common';
import { AwsScope } from './aws-scope.service.js';
import { IotEndpoint } from './iot-endpoint.js';
import { IotTeardown } from './iot-teardown.js';
import { IdentityPoolAdapter } from './identity-pool.adapter.js';
import { IdentityPoolPort } from './identity-pool.port.js';
import { IotAdapter } from './iot.adapter.js';
import { IotPort } from './iot.port.js';
import { QuotaLimiter } from './quota-limiter.js';
import { UserPoolAdapter } from './user-pool.adapter.js';
import { UserPoolPort } from './user-pool.port.js';

/** Binds the AWS ports to their SDK adapters; tests override the ports with the fakes in test/fakes. */
@Global()
@Module({
  providers: [
    QuotaLimiter,
    AwsScope,
    IotEndpoint,
    IotTeardown,
    { provide: UserPoolPort, useClass: UserPoolAdapter },
    { provide: IdentityPoolPort, useClass: IdentityPoolAdapter },
    { provide: IotPort, useClass: IotAdapter },
  ],
  exports: [QuotaLimiter, AwsScope, IotEndpoint, IotTeardown, UserPoolPort, IdentityPoolPort, IotPort],
})
export class AwsModule {}
