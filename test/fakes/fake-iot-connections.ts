import { IotConnectionsPort, type ConnectionTarget } from '../../src/aws/iot-connections.port.js';
import { awsError, type LocalRuntime } from '../../src/local/local-runtime.js';

/**
 * AWS IoT Core's DeleteConnection as AWS behaves: a connected client id is disconnected (and, with
 * cleanSession, its persistent session dropped); one that is not connected is ResourceNotFoundException.
 * Faults come from the shared injector (`faults.inject({ api: 'DeleteConnection', ... })`); the calls
 * are kept in a log of their own, so the control-plane call sequences other tests assert stay as they are.
 */
export class FakeIotConnections extends IotConnectionsPort {
  /** Every DeleteConnection input, in order, failed attempts included. */
  readonly calls: Array<{ clientId: string; cleanSession: boolean; preventWillMessage: boolean }> = [];
  private readonly connected = new Set<string>();
  private readonly sessions = new Set<string>();

  constructor(private readonly runtime: LocalRuntime) {
    super();
  }

  /** A client connects (with a persistent session unless cleanSession). */
  connect(clientId: string, options: { cleanSession?: boolean } = {}): void {
    this.connected.add(clientId);
    if (!options.cleanSession) this.sessions.add(clientId);
  }

  isConnected(clientId: string): boolean {
    return this.connected.has(clientId);
  }

  hasSession(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  /** The client ids DeleteConnection was asked to close, in order. */
  clientIds(): string[] {
    return this.calls.map((call) => call.clientId);
  }

  async deleteConnection(target: ConnectionTarget): Promise<boolean> {
    const input = { clientId: target.clientId, cleanSession: target.cleanSession, preventWillMessage: false };
    this.calls.push(input);
    const fault = this.runtime.faults.take('iot', 'DeleteConnection');
    if (fault) throw fault;
    if (target.clientId.startsWith('$') || target.clientId.length === 0) throw awsError('iot', 'DeleteConnection', 'InvalidRequestException');
    if (!this.connected.delete(target.clientId)) return false;
    if (target.cleanSession) this.sessions.delete(target.clientId);
    return true;
  }
}
