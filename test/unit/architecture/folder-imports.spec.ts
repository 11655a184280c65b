import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { folderCycles, folderImports } from '../../support/folder-graph.js';

const SRC = fileURLToPath(new URL('../../../src', import.meta.url));

describe('folder imports of src/', () => {
  it('point one way: no folder imports a folder that imports it back, directly or around a loop', () => {
    const graph = folderImports(SRC);
    const cycles = folderCycles(graph).map((group) =>
      group.flatMap((from) => [...graph.get(from)!].filter(([to]) => group.includes(to)).map(([to, file]) => `${from} -> ${to} (${file})`)),
    );
    expect(cycles).toEqual([]);
  });

  it('finds a cycle that goes around several folders', () => {
    const graph = new Map([
      ['a', new Map([['b', 'a/x.ts']])],
      ['b', new Map([['c', 'b/y.ts']])],
      ['c', new Map([['a', 'c/z.ts']])],
      ['d', new Map([['a', 'd/w.ts']])],
    ]);
    expect(folderCycles(graph)).toEqual([['a', 'b', 'c']]);
  });

  it('reads the folders the composition root wires', () => {
    const graph = folderImports(SRC);
    expect([...graph.get('.')!.keys()]).toEqual(expect.arrayContaining(['users', 'devices', 'sessions', 'drift', 'operations', 'authorizer']));
    expect([...graph.get('users')!.keys()]).toContain('operations');
  });
});
