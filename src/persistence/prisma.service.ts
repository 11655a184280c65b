import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { Metrics } from '../metrics/metrics.js';
import { Sql } from './sql.js';

const POOL_SIZE = 10;

/** The one Prisma client of the process, and `sql` for hand-written statements on its pool; only repositories use them. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  readonly sql: Sql;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() metrics?: Metrics) {
    if (!config.database.url) throw new Error('database.url must be resolved before the app starts');
    // The pool is built here rather than by the adapter so its use can be read for metrics.
    const pool = new pg.Pool({
      connectionString: config.database.url,
      // Fail fast while Postgres is down, so requests answer 503 instead of hanging: connecting is
      // bounded, and so is every query, for a connection that stays open while nothing comes back
      // (a network partition that drops packets). No query of this service comes near the bound.
      connectionTimeoutMillis: 2000,
      query_timeout: 5000,
      max: POOL_SIZE,
    });
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    const sql = (this.sql = new Sql(pool, POOL_SIZE));
    metrics?.observePool(() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount + sql.waiting }));
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
