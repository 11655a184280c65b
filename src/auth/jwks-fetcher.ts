import type { Fetcher } from 'aws-jwt-verify/https';

const TIMEOUT_MS = 3000;
const MAX_BYTES = 512 * 1024;

/**
 * aws-jwt-verify's own fetcher accepts only https: URLs. Emulators serve their JWKS over plain
 * http on localhost, so this fetcher accepts both, with a timeout and a size cap.
 */
export class JwksFetcher implements Fetcher {
  /** @param emulatorRegion set when AWS_ENDPOINT_URL points at an emulator (see emulatorRoutingHeader). */
  constructor(private readonly emulatorRegion?: string) {}

  async fetch(uri: string): Promise<ArrayBuffer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.emulatorRegion) headers.authorization = emulatorRoutingHeader(this.emulatorRegion);
    const response = await fetch(uri, { signal: AbortSignal.timeout(TIMEOUT_MS), headers });
    if (!response.ok) throw new Error(`JWKS request to ${uri} answered ${response.status}`);
    const body = await response.arrayBuffer();
    if (body.byteLength > MAX_BYTES) throw new Error(`JWKS at ${uri} is larger than ${MAX_BYTES} bytes`);
    return body;
  }
}

/**
 * moto's server routes a request to a service by its signature scope; a plain GET of
 * `<poolId>/.well-known/jwks.json` has none and older releases answer it with a 500. A header with
 * only the scope (no real signature: the JWKS is public) routes it to cognito-idp. Never sent to AWS.
 */
export function emulatorRoutingHeader(region: string, now = new Date()): string {
  const date = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `AWS4-HMAC-SHA256 Credential=emulator/${date}/${region}/cognito-idp/aws4_request, SignedHeaders=host, Signature=0`;
}
