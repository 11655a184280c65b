import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { IotConnectionsPort, type ConnectionTarget } from '../../aws/iot-connections.port.js';
import { LocalSandbox } from '../local-sandbox.js';
import { LocalBrokerService } from './local-broker.service.js';

/**
 * DeleteConnection against the local MQTT broker. It knows each connection's principal, so a
 * revoked certificate's cut-off closes only the connection made with that certificate, where AWS
 * closes whatever is connected with the client id; and a user's cut-off closes every connection of
 * the user's Cognito identity (`<user>.<suffix>` ones too). Each call goes through the sandbox's
 * runtime as every local AWS call does, so its fault injector and call hooks apply to DeleteConnection
 * too. The broker is looked up when first needed: it lives in the local MQTT module, which imports
 * the AWS ports rather than the other way round.
 */
@Injectable()
export class LocalIotConnections extends IotConnectionsPort {
  private broker?: LocalBrokerService;

  constructor(
    private readonly modules: ModuleRef,
    private readonly sandbox: LocalSandbox,
  ) {
    super();
  }

  deleteConnection(target: ConnectionTarget): Promise<boolean> {
    const input = { clientId: target.clientId, cleanSession: target.cleanSession, preventWillMessage: false };
    return this.sandbox.runtime.invoke('iot', 'DeleteConnection', input, async () => {
      const broker = this.findBroker();
      if (!broker) return false;
      const closed = await broker.closeConnections({
        clientId: target.clientId,
        ...(target.certificateId === undefined ? {} : { certificateId: target.certificateId }),
      });
      const ofIdentity = target.identityId === undefined ? 0 : await broker.closeConnections({ identityId: target.identityId });
      return closed + ofIdentity > 0;
    });
  }

  private findBroker(): LocalBrokerService | undefined {
    try {
      this.broker ??= this.modules.get(LocalBrokerService, { strict: false });
    } catch {
      // No broker in this process (local AWS without the MQTT module): nothing is connected.
    }
    return this.broker;
  }
}
