/** One live MQTT connection to close, named as AWS IoT names it: by client id. */
export interface ConnectionTarget {
  clientId: string;
  /**
   * Also drop the client's persistent session (subscriptions, queued messages): for a principal
   * that is gone for good. False keeps it, for one that may come back (a disabled user, a device
   * reconnecting with its other certificate).
   */
  cleanSession: boolean;
  /** Narrows the cut-off where the data plane can tell principals apart (the local broker); AWS closes by client id only. */
  certificateId?: string;
  /** The local broker also closes every connection of this Cognito identity (`<user>.<suffix>` client ids too). */
  identityId?: string;
}

/**
 * The IoT data plane's connection control: AWS IoT Core's DeleteConnection, or the local broker.
 * Errors are DomainErrors (AWS_THROTTLED, AWS_UNAVAILABLE, FORBIDDEN for a missing iot:DeleteConnection, ...).
 */
export abstract class IotConnectionsPort {
  /** Closes the client's live connection; false when no client of that id was connected. */
  abstract deleteConnection(target: ConnectionTarget): Promise<boolean>;
}
