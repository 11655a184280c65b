import { describe, expect, it } from 'vitest';
import { KeyedSerializer } from '../../../src/common/keyed-serializer.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedSerializer', () => {
  it('runs tasks sharing a key one at a time, in arrival order, and tasks of other keys alongside', async () => {
    const queue = new KeyedSerializer();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const task = (name: string, keys: string[]) =>
      queue.run(keys, async () => {
        running++;
        most = Math.max(most, running);
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        running--;
      });
    await Promise.all([task('a1', ['user:a', 'address:x']), task('a2', ['address:x', 'user:a']), task('b', ['user:b']), task('a3', ['user:a'])]);
    expect(log.filter((line) => /a\d/.test(line))).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    expect(log.indexOf('start b')).toBeLessThan(log.indexOf('end a1'));
    expect(most).toBe(2);
    expect(queue.size).toBe(0);
  });

  it('frees the key when a task fails', async () => {
    const queue = new KeyedSerializer();
    await expect(queue.run(['k'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(['k'], async () => 'next')).toBe('next');
    expect(queue.size).toBe(0);
  });
});
