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

/** POST /v1/sites/{site}/devices as admin. */
export function registerSiteDevice(t: TestApp, site: string, body: { name: string; csr?: string; attributes?: Record<string, string> }) {
  return admin(t).post(`/v1/sites/${site}/devices`).send(body);
}

/** A site's device registered from a CSR, failing the test if registration fails. */
export async function registeredSiteDevice(t: TestApp, site: string, name: string): Promise<{ thingName: string; certificateId: string }> {
  const response = await registerSiteDevice(t, site, { name, csr: createTestCsr().csrPem });
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { thingName: response.body.thingName, certificateId: response.body.certificate.certificateId };
}
