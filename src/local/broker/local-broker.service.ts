import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { LocalMqttPorts } from '../../mqtt/local-mqtt-ports.js';
import { BrokerTls, DataPlaneAuthority } from '../data-plane.js';
import { LocalBroker, type BrokerAddresses, type ConnectionMatch } from './local-broker.js';

/** Runs the local MQTT broker for the life of the application. */
@Injectable()
export class LocalBrokerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LocalBroker');
  private readonly broker: LocalBroker;
  private bound: BrokerAddresses | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    authority: DataPlaneAuthority,
    private readonly tls: BrokerTls,
    private readonly ports: LocalMqttPorts,
  ) {
    this.broker = new LocalBroker(authority);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { host, mqttsPort, wsPort, wssPort } = this.config.localMqtt;
    this.bound = await this.broker.start({
      host,
      mqttsPort,
      wsPort,
      wssPort,
      tls: this.tls.serverTls(),
      log: (entry) => this.logger.debug(entry),
    });
    this.ports.report(this.bound);
    const { mqttsPort: mqtts, wsPort: ws, wssPort: wss } = this.bound;
    this.logger.log(`Local MQTT broker on ${host}: mqtts://:${mqtts}, ws://:${ws}/mqtt, wss://:${wss}/mqtt`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.broker.stop();
    this.bound = undefined;
    this.ports.report(undefined);
  }

  /** The ports actually bound (differs from the config when it asked for 0); undefined before start. */
  get addresses(): BrokerAddresses | undefined {
    return this.bound;
  }

  /** Closes live connections: a deleted device, a revoked certificate, a disabled user. */
  closeConnections(match: ConnectionMatch): Promise<number> {
    return this.broker.closeConnections(match);
  }
}
