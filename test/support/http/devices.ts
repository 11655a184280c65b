import { createTestCsr } from '../csr.js';
import type { TestApp } from '../test-app.js';
import { admin } from './admin.js';

/** POST /v1/users/{username}/devices as admin. */
export function registerDevice(t: TestApp, username: string, body: { name: string; csr?: string; attributes?: Record<string, string> }) {
  return admin(t).post(`/v1/users/${username}/devices`).send(body);
}

/** A device registered from a CSR (no private key involved), failing the test if registration fails. */
export async function registeredDevice(t: TestApp, username: string, name: string): Promise<{ thingName: string; certificateId: string }> {
  const response = await registerDevice(t, username, { name, csr: createTestCsr().csrPem });
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { thingName: response.body.thingName, certificateId: response.body.certificate.certificateId };
}
