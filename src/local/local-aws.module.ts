import { Module, type DynamicModule } from '@nestjs/common';
import { IdentityPoolPort } from '../aws/identity-pool.port.js';
import { IotConnectionsPort } from '../aws/iot-connections.port.js';
import { IotPort } from '../aws/iot.port.js';
import { MqttServerCa } from '../aws/mqtt-server-ca.js';
import { UserPoolPort } from '../aws/user-pool.port.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { LocalIotConnections } from './broker/local-iot-connections.js';
import { LocalSandbox } from './local-sandbox.js';

/** Local mode's AWS: the ports bound to the sandbox's user pool, identity pool and IoT, over the state in LOCAL_STATE_DIR. */
@Module({})
export class LocalAwsModule {
  static forRoot(): DynamicModule {
    return {
      module: LocalAwsModule,
      providers: [
        { provide: LocalSandbox, inject: [APP_CONFIG], useFactory: openSandbox },
        { provide: IotPort, inject: [LocalSandbox], useFactory: (sandbox: LocalSandbox) => sandbox.iot },
        // DeleteConnection: the local broker closes the connections (the immediate cut-off).
        { provide: IotConnectionsPort, useClass: LocalIotConnections },
        { provide: UserPoolPort, inject: [LocalSandbox], useFactory: (sandbox: LocalSandbox) => sandbox.userPool },
        { provide: IdentityPoolPort, inject: [LocalSandbox], useFactory: (sandbox: LocalSandbox) => sandbox.identityPool },
        {
          provide: MqttServerCa,
          inject: [LocalSandbox],
          useFactory: (sandbox: LocalSandbox): MqttServerCa => ({ pem: () => sandbox.ca.certificatePem }),
        },
      ],
      exports: [LocalSandbox, IotPort, IotConnectionsPort, UserPoolPort, IdentityPoolPort, MqttServerCa],
    };
  }
}

function openSandbox(config: AppConfig): LocalSandbox {
  return LocalSandbox.open({
    stateDir: config.local.stateDir,
    region: config.aws.region!,
    accountId: config.aws.accountId!,
    userPoolId: config.cognito.userPoolId!,
    clientId: config.cognito.clientId!,
    identityPoolId: config.cognito.identityPoolId!,
    issuer: config.cognito.issuer!,
    endpoint: config.iot.endpoint!,
  });
}
