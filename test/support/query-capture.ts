import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import type { PrismaService } from '../../src/persistence/prisma.service.js';
import { Sql } from '../../src/persistence/sql.js';

export interface CapturedQuery {
  sql: string;
  params: unknown[];
}

/**
 * A Prisma client over `url` that records every SQL statement it sends, with its parameters,
 * through Prisma's own query event, and the hand-written ones of its `sql` as they are sent:
 * what a repository built on it issues, exactly as Postgres sees it.
 */
export class QueryCapture {
  readonly prisma: PrismaClient<'query'>;
  private readonly sql: Sql;
  private captured: CapturedQuery[] = [];

  constructor(url: string) {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    this.prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }), log: [{ emit: 'event', level: 'query' }] });
    this.prisma.$on('query', (event) => void this.captured.push({ sql: event.query, params: JSON.parse(event.params) as unknown[] }));
    this.sql = new Sql(pool, 2, (sql, params) => void this.captured.push({ sql, params }));
  }

  /** For a repository's constructor: the client and its `sql` are a PrismaService in all but Nest's lifecycle hook. */
  get service(): PrismaService {
    return Object.assign(this.prisma, { sql: this.sql }) as unknown as PrismaService;
  }

  /** Runs `work` and returns the statements it issued. */
  async during(work: () => Promise<unknown>): Promise<CapturedQuery[]> {
    this.captured = [];
    await work();
    const queries = this.captured;
    this.captured = [];
    return queries;
  }

  close(): Promise<void> {
    return this.prisma.$disconnect();
  }
}
