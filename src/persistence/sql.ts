import pg from 'pg';

/** Sees every statement before it is sent (tests capture them to plan them). */
export type SqlObserver = (text: string, values: unknown[]) => void;

/**
 * Hand-written statements on the pool Prisma's adapter uses, for the few on hot paths (sign-in,
 * the operation log, device registration): Prisma's client spends three to four times the CPU of
 * the statement itself on each one (measured per statement: about 200-400 µs against 60-130 µs).
 * Each statement is a named prepared statement, parsed and planned once per connection.
 *
 * Statements wait here, in arrival order, for one of the pool's connections: waiting inside the
 * pool would count against its connect timeout, which is meant to notice a database that is
 * down, and a burst of requests would answer DATABASE_UNAVAILABLE while Postgres is fine.
 * Only repositories use it, as only they use Prisma. Values come back as pg parses them:
 * timestamps as Date, json as objects, bigint as string.
 *
 * Shutting down ends the pool before in-flight requests are done (Nest destroys modules before the
 * HTTP server has drained); as Prisma's client does, a statement then gets a new pool of the same
 * configuration, so those requests can still record what they did (their lease fences them).
 */
export class Sql {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private pool: pg.Pool,
    private readonly connections: number,
    private readonly observe?: SqlObserver,
  ) {}

  /** Statements waiting for a connection (reported with the pool's own waiting clients). */
  get waiting(): number {
    return this.queue.length;
  }

  /** The rows of one statement; `name` identifies its text for the prepared-statement cache, so one name is one text. */
  async rows<T extends object>(name: string, text: string, values: unknown[]): Promise<T[]> {
    return (await this.run<T>(name, text, values)).rows;
  }

  /** How many rows one statement changed. */
  async count(name: string, text: string, values: unknown[]): Promise<number> {
    return (await this.run(name, text, values)).rowCount ?? 0;
  }

  private async run<T extends object>(name: string, text: string, values: unknown[]): Promise<pg.QueryResult<T>> {
    this.observe?.(text, values);
    if (this.active >= this.connections) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      if (this.pool.ending) {
        this.pool = new pg.Pool(this.pool.options);
        // An idle connection that breaks is dropped by the pool; unheard, its error would end the process.
        this.pool.on('error', () => undefined);
      }
      return await this.pool.query<T>({ name, text, values });
    } finally {
      // The slot passes straight to the next waiter, so `active` never drops below the queue's demand.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
