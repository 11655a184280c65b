import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { isDomainError } from '../common/errors/domain-error.js';
import { IotConnectionsPort, type ConnectionTarget } from './iot-connections.port.js';

/** What a cut-off did, recorded as its operation step's output (GET /v1/operations/{id}). */
// A type, not an interface: step outputs must be JSON values.
export type CutoffReport = {
  closed: string[];
  notConnected: string[];
  /** Client ids whose connection could not be closed after every attempt, with the last error's code. */
  failed: Array<{ clientId: string; code: string }>;
};

/** Waits between attempts at one client id: throttling and outages of the data plane are usually brief. */
const RETRY_WAITS_MS = [200, 1000];

/**
 * Closes the live MQTT connections of principals whose access was just taken away (a user disabled
 * or deleted, a device deleted, a certificate revoked), so they do not keep it for the 6-8 minutes
 * AWS IoT caches policies. Best effort by design: the access is already revoked in AWS, and a
 * connection left open loses it when the cache expires, so a failure here is retried, recorded and
 * reported, never thrown into the operation.
 */
@Injectable()
export class ConnectionCutoff {
  private readonly logger = new Logger('ConnectionCutoff');

  constructor(private readonly connections: IotConnectionsPort) {}

  async close(targets: ConnectionTarget[], waits: readonly number[] = RETRY_WAITS_MS): Promise<CutoffReport> {
    const report: CutoffReport = { closed: [], notConnected: [], failed: [] };
    for (const target of targets) {
      for (let attempt = 0; ; attempt++) {
        try {
          const closed = await this.connections.deleteConnection(target);
          (closed ? report.closed : report.notConnected).push(target.clientId);
          break;
        } catch (error) {
          const wait = waits[attempt];
          if (wait !== undefined) {
            await sleep(wait);
            continue;
          }
          const code = isDomainError(error) ? error.code : 'INTERNAL';
          report.failed.push({ clientId: target.clientId, code });
          this.logger.warn(
            `Could not close the connection of client ${target.clientId} (${code}); it loses its access when AWS's policy cache expires`,
          );
          break;
        }
      }
    }
    return report;
  }
}
