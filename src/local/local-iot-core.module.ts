import { Global, Module } from '@nestjs/common';
import { AuthorizerModule } from '../authorizer/authorizer.module.js';
import { BrokerTls, DataPlaneAuthority } from './data-plane.js';
import { LocalBrokerTls } from './local-broker-tls.js';
import { LocalCognitoController } from './local-cognito.controller.js';
import { LocalDataPlane } from './local-data-plane.js';

/**
 * Local mode's IoT Core around the sandbox: the user pool's JWKS route, and what the MQTT broker
 * injects (DataPlaneAuthority, BrokerTls). Global so that the broker's module finds them wherever it is imported.
 */
@Global()
@Module({
  imports: [AuthorizerModule],
  controllers: [LocalCognitoController],
  providers: [
    { provide: DataPlaneAuthority, useClass: LocalDataPlane },
    { provide: BrokerTls, useClass: LocalBrokerTls },
  ],
  exports: [DataPlaneAuthority, BrokerTls],
})
export class LocalIotCoreModule {}
