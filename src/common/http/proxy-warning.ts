import { BlockList, isIPv4 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../config/app-config.js';

/** Loopback, RFC 1918, carrier-grade NAT, link-local and unique-local: where load balancers and sidecars live. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

export function isPrivateAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  return PRIVATE.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
}

/**
 * With TRUST_PROXY unset behind a load balancer, every client has the balancer's address, so the
 * per-address sign-in ceiling is one ceiling for everybody. The service cannot know at boot; it
 * says so once, on the first request that arrives from a private address with X-Forwarded-For.
 */
export function warnOfUntrustedProxy(fastify: FastifyInstance, config: AppConfig, warn: (message: string) => void): void {
  if (config.http.trustProxy !== false) return;
  let warned = false;
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!warned && request.headers['x-forwarded-for'] !== undefined && isPrivateAddress(request.socket.remoteAddress)) {
      warned = true;
      warn(
        `A request from ${request.socket.remoteAddress} carries X-Forwarded-For while TRUST_PROXY is unset: behind a load balancer every client ` +
          'then shares its address, and the per-address sign-in ceiling applies to all of them. Set TRUST_PROXY to the balancer addresses or CIDRs.',
      );
    }
    done();
  });
}
