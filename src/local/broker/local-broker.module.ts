/**
 * The local MQTT broker as a Nest module. It needs a DataPlaneAuthority and a BrokerTls, which the
 * local IoT Core's state provides: import this module only in local mode, with the module that
 * exports both, e.g. `LocalBrokerModule.forRoot([LocalIotCoreModule])`. The broker starts on
 * application bootstrap and stops on shutdown (enableShutdownHooks makes SIGTERM count).
 */
import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { LocalMqttPortsModule } from '../../mqtt/local-mqtt-ports.js';
import { LocalBrokerService } from './local-broker.service.js';

@Module({})
export class LocalBrokerModule {
  static forRoot(imports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    return { module: LocalBrokerModule, imports: [...imports, LocalMqttPortsModule], providers: [LocalBrokerService], exports: [LocalBrokerService] };
  }
}
