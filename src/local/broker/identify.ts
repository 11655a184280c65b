/**
 * Who is connecting, from the way in and the CONNECT packet: a custom authorizer when one is
 * named (MQTT username, or the WebSocket upgrade's header or query), the SigV4 identity the
 * upgrade proved, or the TLS client certificate. Undefined refuses the connection.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { DataPlaneAuthority } from '../data-plane.js';
import { authorizerFromHttp, authorizerFromUsername, authorizerRequest, readAuthorizerAnswer } from './custom-auth.js';
import type { Principal } from './principal.js';

/** What the broker knows of a connection before its CONNECT. */
export interface Transport {
  /** AWS's connectionMetadata.id. */
  id: string;
  /** The TLS socket (MQTT over TLS, or the WebSocket's over TLS). */
  tlsSocket?: TLSSocket;
  /** The WebSocket upgrade request. */
  req?: IncomingMessage;
  /** Set when the upgrade carried a valid SigV4 URL. */
  signed?: { accessKeyId: string; identityId: string };
}

export interface ConnectFields {
  clientId: string;
  username?: string;
  password?: Buffer;
}

export interface Identified {
  principal: Principal;
  /** A custom authorizer's disconnectAfterInSeconds. */
  disconnectAfterSeconds?: number;
}

export async function identify(
  authority: DataPlaneAuthority,
  transport: Transport,
  connect: ConnectFields,
  now: Date,
): Promise<Identified | undefined> {
  const authorizerName = authorizerFromUsername(connect.username) ?? authorizerFromHttp(transport.req);
  if (authorizerName !== undefined && !transport.signed) return viaAuthorizer(authority, authorizerName, transport, connect);
  if (transport.signed) {
    const credentials = authority.credentials(transport.signed.accessKeyId);
    if (!credentials || credentials.expiration.getTime() <= now.getTime()) return undefined;
    return { principal: { kind: 'identity', ...transport.signed } };
  }
  // A WebSocket comes in by signature or authorizer only; a client certificate counts on MQTT over TLS.
  if (transport.req) return undefined;
  const socket = transport.tlsSocket;
  const raw = socket?.authorized ? socket.getPeerCertificate().raw : undefined;
  if (!raw) return undefined;
  const certificateId = createHash('sha256').update(raw).digest('hex');
  const certificate = authority.certificate(certificateId);
  if (certificate?.status !== 'ACTIVE') return undefined;
  return { principal: { kind: 'certificate', certificateId, certificateArn: certificate.certificateArn } };
}

async function viaAuthorizer(
  authority: DataPlaneAuthority,
  authorizerName: string,
  transport: Transport,
  connect: ConnectFields,
): Promise<Identified | undefined> {
  const serverName = (transport.tlsSocket as (TLSSocket & { servername?: string | false }) | undefined)?.servername;
  const request = authorizerRequest({
    connectionId: transport.id,
    clientId: connect.clientId,
    tls: transport.tlsSocket !== undefined,
    ...(connect.username !== undefined ? { username: connect.username } : {}),
    ...(connect.password !== undefined ? { password: connect.password } : {}),
    ...(typeof serverName === 'string' ? { serverName } : {}),
    ...(transport.req ? { req: transport.req } : {}),
  });
  const grant = readAuthorizerAnswer(await authority.authorize(authorizerName, request));
  if (!grant) return undefined;
  const principal: Principal = { kind: 'authorizer', authorizerName, principalId: grant.principalId, policyDocuments: grant.policyDocuments };
  return { principal, ...(grant.disconnectAfterSeconds !== undefined ? { disconnectAfterSeconds: grant.disconnectAfterSeconds } : {}) };
}
