import type { SiteRole } from '../../../src/policy/entitlements.js';
import type { TestApp } from '../test-app.js';
import { admin } from './admin.js';

/** POST /v1/sites as admin. */
export function createSite(t: TestApp, name: string) {
  return admin(t).post('/v1/sites').send({ name });
}

/** A site, failing the test if it cannot be created. */
export async function readySite(t: TestApp, name: string): Promise<void> {
  const response = await createSite(t, name);
  if (response.status !== 201) throw new Error(`creating site ${name} failed: ${response.status} ${JSON.stringify(response.body)}`);
}

/** PUT /v1/sites/{site}/members/{username} as admin; `dryRun` adds ?dryRun=true. */
export function setMember(t: TestApp, site: string, username: string, role: SiteRole, dryRun = false) {
  return admin(t)
    .put(`/v1/sites/${site}/members/${username}${dryRun ? '?dryRun=true' : ''}`)
    .send({ role });
}

/** DELETE /v1/sites/{site}/members/{username} as admin. */
export function removeMember(t: TestApp, site: string, username: string, dryRun = false) {
  return admin(t).delete(`/v1/sites/${site}/members/${username}${dryRun ? '?dryRun=true' : ''}`);
}

/** A membership change that must succeed. */
export async function member(t: TestApp, site: string, username: string, role: SiteRole = 'member'): Promise<void> {
  const response = await setMember(t, site, username, role);
  if (response.status !== 200) throw new Error(`adding ${username} to ${site} failed: ${response.status} ${JSON.stringify(response.body)}`);
}

/** GET /v1/users/{username}/entitlements as admin. */
export function entitlementsOf(t: TestApp, username: string) {
  return admin(t).get(`/v1/users/${username}/entitlements`);
}
