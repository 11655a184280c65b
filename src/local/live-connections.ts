import { Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { LocalBrokerModule } from './broker/local-broker.module.js';
import { LocalBrokerService } from './broker/local-broker.service.js';
import { LocalIotCoreModule } from './local-iot-core.module.js';
import { LocalSandbox } from './local-sandbox.js';

/**
 * Closes live MQTT connections when the sandbox takes away what they stand on: a certificate
 * deactivated, revoked or deleted, a Cognito identity deleted. (A detached policy needs nothing:
 * the broker reads the policies again for every packet.)
 */
@Injectable()
export class LiveConnections implements OnModuleInit {
  private readonly logger = new Logger('LocalBroker');

  constructor(
    private readonly sandbox: LocalSandbox,
    private readonly broker: LocalBrokerService,
  ) {}

  onModuleInit(): void {
    const runtime = this.sandbox.runtime;
    runtime.onCallDone('UpdateCertificate', (input) => {
      const { certificateId, newStatus } = input as { certificateId: string; newStatus: string };
      if (newStatus !== 'ACTIVE') this.close({ certificateId });
    });
    runtime.onCallDone('DeleteCertificate', (input) => this.close({ certificateId: (input as { certificateId: string }).certificateId }));
    runtime.onCallDone('DeleteIdentities', (input) => {
      for (const identityId of (input as { IdentityIdsToDelete: string[] }).IdentityIdsToDelete) this.close({ identityId });
    });
  }

  /** Not awaited: the API call has taken effect and answers now; the broker closes the connections meanwhile. */
  private close(match: { certificateId?: string; identityId?: string }): void {
    this.broker.closeConnections(match).catch((error: unknown) => this.logger.warn(`closing connections failed: ${String(error)}`));
  }
}

/** The local MQTT broker over the local IoT Core, with its live connections tied to the sandbox. */
@Module({
  imports: [LocalBrokerModule.forRoot([LocalIotCoreModule])],
  providers: [LiveConnections],
})
export class LocalMqttModule {}
