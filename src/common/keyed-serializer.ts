/**
 * Runs tasks one at a time per key, inside this process: a task waits for every earlier task that
 * shares one of its keys. A task takes its place behind all of its keys at once (synchronously),
 * so tasks only ever wait for earlier ones, never for each other, and start in arrival order.
 * Waiting here costs no database connection: a burst of sign-ins for one username queues in memory
 * and reaches Postgres (where an advisory lock orders replicas) one attempt at a time, instead of
 * taking every pooled connection to wait on the lock there.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: string[], task: () => Promise<T>): Promise<T> {
    const earlier: Array<Promise<void>> = [];
    const releases: Array<() => void> = [];
    for (const key of new Set(keys)) {
      const previous = this.tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const done = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => done);
      this.tails.set(key, tail);
      earlier.push(previous);
      releases.push(() => {
        release();
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
    try {
      await Promise.all(earlier);
      return await task();
    } finally {
      for (const release of releases) release();
    }
  }

  /** Keys with a task running or waiting (for tests: the map must not grow without bound). */
  get size(): number {
    return this.tails.size;
  }
}
