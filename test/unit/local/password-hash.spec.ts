import { describe, expect, it } from 'vitest';
import { hashPassword, hashPasswordSync, verifyPassword } from '../../../src/local/password-hash.js';

const COST = 16;

describe('password hashes', () => {
  it('verify the right password only, and never hold the clear text', async () => {
    const stored = await hashPassword('Correct-Horse-42', COST);
    expect(stored).toMatch(/^scrypt\$16\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain('Correct-Horse-42');
    expect(await verifyPassword('Correct-Horse-42', stored)).toBe(true);
    expect(await verifyPassword('correct-horse-42', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salt every hash, so equal passwords do not look equal', async () => {
    const [a, b] = [await hashPassword('same-password', COST), hashPasswordSync('same-password', COST)];
    expect(a).not.toBe(b);
    expect(await verifyPassword('same-password', b)).toBe(true);
  });

  it('never match a malformed stored value', async () => {
    for (const stored of ['', 'plain', 'scrypt$16$8$1$$', 'bcrypt$16$8$1$c2FsdA$aGFzaA']) expect(await verifyPassword('x', stored)).toBe(false);
  });
});
