/**
 * The contract between the local MQTT broker (the data plane) and the local IoT Core state that
 * owns certificates, policies, things and vended credentials. The broker only reads: every
 * packet asks again, so a change in the state (a policy detached, a certificate revoked, a user
 * disabled) applies to the next packet.
 */
import type { CertificateStatus } from '../aws/iot.port.js';
import type { AuthorizerResponse } from '../authorizer/authorizer.core.js';

/** What the MQTT broker asks of the local IoT Core; implemented by the sandbox state. */
export interface DataPlaneCredentials {
  secretAccessKey: string;
  sessionToken: string;
  /** The Cognito identity id the credentials were vended for. */
  identityId: string;
  expiration: Date;
}

export interface DataPlaneThing {
  thingName: string;
  attributes: Record<string, string>;
}

/** The request AWS IoT sends a custom authorizer (custom-auth-lambda page); fields only when relevant. */
export interface CustomAuthorizerRequest {
  token?: string;
  signatureVerified: boolean;
  protocols: Array<'tls' | 'http' | 'mqtt'>;
  protocolData: {
    tls?: { serverName?: string };
    http?: { headers: Record<string, string>; queryString: string };
    mqtt?: { username?: string; password?: string; clientId: string };
  };
  connectionMetadata: { id: string };
}

export abstract class DataPlaneAuthority {
  abstract readonly region: string;
  abstract readonly accountId: string;
  /** A certificate the sandbox issued, by id (lowercase hex SHA-256 of its DER, as AWS IoT computes it). */
  abstract certificate(certificateId: string): { certificateArn: string; status: CertificateStatus } | undefined;
  /** Default-version documents of the IoT policies attached to a target (certificate ARN or Cognito identity id). */
  abstract policyDocuments(target: string): string[];
  /** Things the principal (certificate ARN) is attached to. */
  abstract thingsOf(principalArn: string): DataPlaneThing[];
  /** Credentials the local identity pool vended, by access key id; undefined when unknown. */
  abstract credentials(accessKeyId: string): DataPlaneCredentials | undefined;
  /** The IAM policy of the identity pool's authenticated role (the same document `npm run bootstrap` prints). */
  abstract rolePolicyDocument(): string;
  /**
   * Runs a custom authorizer by name with AWS's authorizer request; undefined when no such authorizer
   * exists. A Lambda may answer policy documents as JSON text or as objects: the broker accepts both.
   */
  abstract authorize(authorizerName: string, request: CustomAuthorizerRequest): Promise<AuthorizerResponse | undefined>;
}

/** The broker's TLS identity: a server certificate for localhost/127.0.0.1 and the CA that clients trust. */
export abstract class BrokerTls {
  /** PEM texts: the server's private key, its certificate (chain), and the CA that issues device certificates. */
  abstract serverTls(): { key: string; cert: string; ca: string };
}
