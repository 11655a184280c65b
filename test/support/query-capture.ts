import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import type { PrismaService } from '../../src/persistence/prisma.service.js';

export interface CapturedQuery {
  sql: string;
  params: unknown[];
}

/**
 * A Prisma client over `url` that records every SQL statement it sends, with its parameters,
 * through Prisma's own query event: what a repository built on it issues, exactly as Postgres sees it.
 */
export class QueryCapture {
  readonly prisma: PrismaClient<'query'>;
  private captured: CapturedQuery[] = [];

  constructor(url: string) {
    this.prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 2 }), log: [{ emit: 'event', level: 'query' }] });
    this.prisma.$on('query', (event) => void this.captured.push({ sql: event.query, params: JSON.parse(event.params) as unknown[] }));
  }

  /** For a repository's constructor: the client is a PrismaService in all but Nest's lifecycle hook. */
  get service(): PrismaService {
    return this.prisma as unknown as PrismaService;
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
