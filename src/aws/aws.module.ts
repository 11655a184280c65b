import { Module, type DynamicModule } from '@nestjs/common';
import { AwsScope } from './aws-scope.service.js';
import { IotConnectionsAdapter } from './iot-connections.adapter.js';
import { IotConnectionsPort } from './iot-connections.port.js';
import { IotEndpoint } from './iot-endpoint.js';
import { IotTeardown } from './iot-teardown.js';
import { IdentityPoolAdapter } from './identity-pool.adapter.js';
import { IdentityPoolPort } from './identity-pool.port.js';
import { IotAdapter } from './iot.adapter.js';
import { IotPort } from './iot.port.js';
import { AmazonRootCa, MqttServerCa } from './mqtt-server-ca.js';
import { QuotaLimiter } from './quota-limiter.js';
import { UserPoolAdapter } from './user-pool.adapter.js';
import { UserPoolPort } from './user-pool.port.js';

/**
 * Binds the AWS ports to their SDK adapters, or (local mode) takes them from the module given,
 * which must provide and export IotPort, IotConnectionsPort, UserPoolPort, IdentityPoolPort and MqttServerCa.
 * Tests override the ports with the local implementations in src/local.
 */
@Module({})
export class AwsModule {
  static forRoot(ports?: DynamicModule): DynamicModule {
    const shared = [QuotaLimiter, AwsScope, IotEndpoint, IotTeardown];
    const adapters = [
      { provide: UserPoolPort, useClass: UserPoolAdapter },
      { provide: IdentityPoolPort, useClass: IdentityPoolAdapter },
      { provide: IotPort, useClass: IotAdapter },
      { provide: IotConnectionsPort, useClass: IotConnectionsAdapter },
      { provide: MqttServerCa, useClass: AmazonRootCa },
    ];
    return {
      module: AwsModule,
      global: true,
      imports: ports ? [ports] : [],
      providers: ports ? shared : [...shared, ...adapters],
      exports: ports ? [...shared, ports] : [...shared, UserPoolPort, IdentityPoolPort, IotPort, IotConnectionsPort, MqttServerCa],
    };
  }
}
