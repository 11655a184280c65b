import { Injectable } from '@nestjs/common';
import { PrismaService } from '../persistence/prisma.service.js';

export interface FailureCount {
  subject: string;
  /** Failures inside the window, counted up to the subject's limit. */
  failures: number;
  /** Seconds until the count drops below the limit; meaningful only when failures reached it. */
  retryAfterSeconds: number;
}

/**
 * Failed sign-ins, shared by every replica. Times are the database's, so replicas with skewed
 * clocks still agree on the window.
 */
@Injectable()
export class SignInFailuresRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * For each subject, its newest failures inside the window (at most `limit`, read through the
   * (subject, occurred_at) index) and when the oldest of those leaves the window: with `limit`
   * failures counted, that is when the subject may try again.
   */
  async recent(subjects: Array<{ subject: string; limit: number }>, windowSeconds: number): Promise<FailureCount[]> {
    const names = subjects.map((entry) => entry.subject);
    const limits = subjects.map((entry) => entry.limit);
    return this.prisma.$queryRaw<FailureCount[]>`
      SELECT s.subject,
             count(f.occurred_at)::int AS failures,
             GREATEST(1, ceil(extract(epoch FROM min(f.occurred_at) + make_interval(secs => ${windowSeconds}) - now())))::int AS "retryAfterSeconds"
      FROM unnest(${names}::text[], ${limits}::int[]) AS s(subject, lim)
      LEFT JOIN LATERAL (
        SELECT occurred_at FROM sign_in_failures
        WHERE subject = s.subject AND occurred_at > now() - make_interval(secs => ${windowSeconds})
        ORDER BY occurred_at DESC
        LIMIT s.lim
      ) f ON true
      GROUP BY s.subject`;
  }

  /** occurred_at is left to the column default: the database's clock, as `recent` reads it. */
  async record(subjects: string[]): Promise<void> {
    await this.prisma.$executeRaw`INSERT INTO sign_in_failures (subject) SELECT unnest(${subjects}::text[])`;
  }

  async clear(subject: string): Promise<void> {
    await this.prisma.signInFailure.deleteMany({ where: { subject } });
  }

  /** Removes failures that no window counts any more. */
  async pruneOlderThan(windowSeconds: number): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM sign_in_failures WHERE occurred_at < now() - make_interval(secs => ${windowSeconds})`;
  }
}
