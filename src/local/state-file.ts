import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * One JSON document on disk, replaced atomically: the new text goes to a temporary file that is
 * flushed, then renamed over the old one, then the directory is flushed. A crash at any point
 * leaves either the previous document or the new one, never a mix. Readable by its owner only:
 * it holds password hashes, the CA key and credential secrets.
 */
export class StateFile<T> {
  readonly path: string;
  private readonly tempPath: string;

  constructor(dir: string, name = 'state.json') {
    this.path = join(dir, name);
    this.tempPath = `${this.path}.tmp`;
  }

  /** The last document written, or undefined when there is none yet. A leftover temporary file is a write that never finished. */
  read(): T | undefined {
    if (existsSync(this.tempPath)) rmSync(this.tempPath);
    if (!existsSync(this.path)) return undefined;
    return JSON.parse(readFileSync(this.path, 'utf8')) as T;
  }

  write(value: T): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const fd = openSync(this.tempPath, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(value));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.tempPath, this.path);
    syncDirectory(dirname(this.path));
  }
}

/** Makes the rename itself durable; some platforms cannot open a directory, and there the rename is as durable as it gets. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
