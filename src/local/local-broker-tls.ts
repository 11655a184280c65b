import { Inject, Injectable } from '@nestjs/common';
import { localMqttClientHost, type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { BrokerTls } from './data-plane.js';
import { LocalSandbox } from './local-sandbox.js';

/**
 * The local broker's TLS server certificate, issued by the sandbox CA for localhost, 127.0.0.1 and
 * the configured MQTT host. Made once per process (its key is never written down): clients trust
 * the CA, which stays.
 */
@Injectable()
export class LocalBrokerTls extends BrokerTls {
  private issued?: { key: string; cert: string; ca: string };

  constructor(
    private readonly sandbox: LocalSandbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  serverTls(): { key: string; cert: string; ca: string } {
    if (!this.issued) {
      const hosts = ['localhost', '127.0.0.1', localMqttClientHost(this.config.localMqtt.host), this.config.iot.endpoint!.replace(/:\d+$/, '')];
      this.issued = { ...this.sandbox.ca.issueServer(hosts, new Date(Date.now() - 60_000)), ca: this.sandbox.ca.certificatePem };
    }
    return this.issued;
  }
}
