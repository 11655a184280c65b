import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DeleteConnectionCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { isDomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { awsClientOptions, withRetryRules } from './aws-client-options.js';
import { callAws } from './aws-call.js';
import { IotConnectionsPort, type ConnectionTarget } from './iot-connections.port.js';
import { IotEndpoint } from './iot-endpoint.js';
import { QuotaLimiter } from './quota-limiter.js';

/**
 * AWS IoT Core's DeleteConnection (data plane, IAM action `iot:DeleteConnection` on
 * `arn:aws:iot:<region>:<account>:client/<clientId>`), sent to the account's `iot:Data-ATS`
 * endpoint as `https://<endpoint>` (AWS_ENDPOINT_URL instead, for an emulator). AWS answers
 * ResourceNotFoundException when no client of that id is connected.
 */
@Injectable()
export class IotConnectionsAdapter extends IotConnectionsPort implements OnModuleDestroy {
  private sdk?: Promise<IoTDataPlaneClient>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: QuotaLimiter,
    private readonly endpoint: IotEndpoint,
  ) {
    super();
  }

  onModuleDestroy(): void {
    void this.sdk?.then((client) => client.destroy()).catch(() => undefined);
  }

  async deleteConnection(target: ConnectionTarget): Promise<boolean> {
    const client = await this.client();
    const input = { clientId: target.clientId, cleanSession: target.cleanSession, preventWillMessage: false };
    try {
      await callAws(this.config, this.limiter, { service: 'iot', api: 'DeleteConnection' }, () => client.send(new DeleteConnectionCommand(input)));
      return true;
    } catch (error) {
      if (isDomainError(error, 'NOT_FOUND')) return false;
      throw error;
    }
  }

  private client(): Promise<IoTDataPlaneClient> {
    this.sdk ??= (async () => {
      const options = awsClientOptions(this.config);
      const endpoint = options.endpoint ?? `https://${await this.endpoint.get()}`;
      return withRetryRules(new IoTDataPlaneClient({ ...options, endpoint }));
    })().catch((error: unknown) => {
      this.sdk = undefined;
      throw error;
    });
    return this.sdk;
  }
}
