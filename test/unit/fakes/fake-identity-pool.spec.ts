import { describe, expect, it } from 'vitest';
import { LocalIdentityPool } from '../../../src/local/local-identity-pool.js';
import { LocalRuntime } from '../../../src/local/local-runtime.js';
import { TestTokenIssuer } from '../../support/token-issuer.js';

describe('LocalIdentityPool', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const clock = () => now;
  const issuer = new TestTokenIssuer({ issuer: 'http://127.0.0.1:1/pool', clientId: 'client123', clock });
  const token = (sub: string) => issuer.idToken({ sub, username: sub });

  it('gives one stable identity per sub, and credentials for an hour', async () => {
    const pool = new LocalIdentityPool({ runtime: new LocalRuntime({ clock }) });
    const id = await pool.getIdentityId(token('s1'));
    expect(id).toMatch(/^eu-west-1:[0-9a-f-]{36}$/);
    await expect(pool.getIdentityId(token('s1'))).resolves.toBe(id);
    await expect(pool.getIdentityId(token('s2'))).resolves.not.toBe(id);

    const credentials = await pool.getCredentials(id, token('s1'));
    expect(credentials.expiration.getTime()).toBe(now + 3600_000);
    expect(credentials.accessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    await expect(pool.getCredentials(id, token('s2'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses unknown identities, expired and malformed tokens', async () => {
    const pool = new LocalIdentityPool({ runtime: new LocalRuntime({ clock }) });
    await expect(pool.getCredentials('eu-west-1:00000000-0000-4000-8000-000000000009', token('s1'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pool.getIdentityId(issuer.idToken({ sub: 's1', username: 'u' }, { expired: true }))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(pool.getIdentityId('not-a-jwt')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(pool.getIdentityId(issuer.accessToken({ sub: 's1', username: 'u' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('deletes identities; a later GetId mints a new one', async () => {
    const pool = new LocalIdentityPool({ runtime: new LocalRuntime({ clock }) });
    const id = await pool.getIdentityId(token('s1'));
    await pool.deleteIdentity(id);
    expect(pool.snapshot()).toEqual([]);
    await expect(pool.deleteIdentity(id)).resolves.toBeUndefined();
    await expect(pool.getCredentials(id, token('s1'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pool.getIdentityId(token('s1'))).resolves.not.toBe(id);
  });
});
