import type { Fetcher } from 'aws-jwt-verify/https';

const TIMEOUT_MS = 3000;
const MAX_BYTES = 512 * 1024;

/**
 * aws-jwt-verify's own fetcher accepts only https: URLs. Emulators serve their JWKS over plain
 * http on localhost, so this fetcher accepts both, with a timeout and a size cap.
 */
export class JwksFetcher implements Fetcher {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const response = await fetch(uri, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`JWKS request to ${uri} answered ${response.status}`);
    const body = await response.arrayBuffer();
    if (body.byteLength > MAX_BYTES) throw new Error(`JWKS at ${uri} is larger than ${MAX_BYTES} bytes`);
    return body;
  }
}
