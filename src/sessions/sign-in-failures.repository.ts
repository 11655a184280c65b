import { Injectable } from '@nestjs/common';
import { PrismaService } from '../persistence/prisma.service.js';
import type { SignInState, SubjectFailures } from './sign-in-policy.js';

/** The rows one attempt is counted under: its username, its address and the pair of both. */
export interface AttemptSubjects {
  user: string;
  address: string;
  pair: string;
  /** The pair's hash, under which a successful sign-in is remembered. */
  pairHash: string;
}

export interface SubjectLimits {
  user: number;
  address: number;
  pair: number;
}

/** Reserved failure rows; they count as failures until a success or a non-answer releases them. */
export type Reservation = bigint[];

/** Waiting for the locks is part of the answer under a burst; a few seconds is plenty for a few statements each. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 10_000 };

interface CountRow {
  subject: string;
  failures: number;
  newestAt: number | null;
  oldestAt: number | null;
  now: number;
}

/**
 * Sign-in failures and remembered successful (username, address) pairs, shared by every replica.
 * Times are the database's clock, so replicas with skewed clocks agree on windows and delays.
 */
@Injectable()
export class SignInFailuresRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Decides and records an attempt atomically per username, before Cognito is asked: under a
   * transaction-scoped advisory lock on the username, reads the counts, asks `decide`, and when it
   * allows the attempt inserts its failure rows at once. Concurrent attempts for one username
   * therefore queue here and each sees every attempt before it: a burst cannot overshoot the
   * username's or the pair's limits. The address is not locked, so that sign-ins of many users
   * behind one address do not queue behind each other: concurrent attempts for different usernames
   * may pass the per-address ceiling by their number, once, and the address counts an attempt
   * only once Cognito has refused it.
   */
  async reserve(
    subjects: AttemptSubjects,
    limits: SubjectLimits,
    windowSeconds: number,
    decide: (state: SignInState) => number | undefined,
  ): Promise<{ reservation: Reservation } | { waitSeconds: number }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sign-in ${subjects.user}`}, 0))`;
      const names = [subjects.user, subjects.address, subjects.pair];
      const rows = await tx.$queryRaw<CountRow[]>`
        SELECT s.subject,
               count(f.occurred_at)::int AS failures,
               (extract(epoch FROM max(f.occurred_at)) * 1000)::float8 AS "newestAt",
               (extract(epoch FROM min(f.occurred_at)) * 1000)::float8 AS "oldestAt",
               (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now
        FROM unnest(${names}::text[], ${[limits.user, limits.address, limits.pair]}::int[]) AS s(subject, lim)
        LEFT JOIN LATERAL (
          SELECT occurred_at FROM sign_in_failures
          WHERE subject = s.subject AND occurred_at > clock_timestamp() - make_interval(secs => ${windowSeconds})
          ORDER BY occurred_at DESC
          LIMIT s.lim
        ) f ON true
        GROUP BY s.subject`;
      const [known] = await tx.$queryRaw<Array<{ known: boolean }>>`
        SELECT EXISTS (SELECT 1 FROM sign_in_known_pairs WHERE pair_hash = ${subjects.pairHash} AND expires_at > clock_timestamp()) AS known`;
      const of = (subject: string): SubjectFailures => {
        const row = rows.find((candidate) => candidate.subject === subject);
        return { failures: row?.failures ?? 0, newestAt: row?.newestAt ?? undefined, oldestAt: row?.oldestAt ?? undefined };
      };
      const waitSeconds = decide({
        now: rows[0]?.now ?? Date.now(),
        pair: of(subjects.pair),
        user: of(subjects.user),
        address: of(subjects.address),
        knownPair: known?.known ?? false,
      });
      if (waitSeconds !== undefined) return { waitSeconds };
      // The address's row waits for Cognito's answer: attempts in flight count for the username and
      // the pair, not for the address, so many users signing in at once behind one address are not refused.
      const inserted = await tx.$queryRaw<Array<{ id: bigint }>>`
        INSERT INTO sign_in_failures (subject, occurred_at) SELECT unnest(${[subjects.user, subjects.pair]}::text[]), clock_timestamp() RETURNING id`;
      return { reservation: inserted.map((row) => row.id) };
    }, TRANSACTION_OPTIONS);
  }

  /** A wrong password (or unknown user): the reservation stays as the username's and the pair's failure, and the address gets its own. */
  async recordFailure(subjects: AttemptSubjects): Promise<void> {
    await this.prisma.$executeRaw`INSERT INTO sign_in_failures (subject) VALUES (${subjects.address})`;
  }

  /** The attempt was not a failure after all (Cognito did not answer, or the user is disabled). */
  async release(reservation: Reservation): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM sign_in_failures WHERE id = ANY(${reservation}::bigint[])`;
  }

  /**
   * The right password: the attempt was no failure, the pair's run of typos ends, and the pair is
   * remembered until `days` from now. The username's and the address's other failures stay.
   */
  async recordSuccess(reservation: Reservation, subjects: AttemptSubjects, days: number): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.$executeRaw`DELETE FROM sign_in_failures WHERE id = ANY(${reservation}::bigint[]) OR subject = ${subjects.pair}`,
      this.prisma.$executeRaw`
        INSERT INTO sign_in_known_pairs (pair_hash, expires_at) VALUES (${subjects.pairHash}, now() + make_interval(days => ${days}))
        ON CONFLICT (pair_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
    ]);
  }

  /** Removes failures that no window counts any more, and pairs past their expiry. */
  async prune(windowSeconds: number): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM sign_in_failures WHERE occurred_at < now() - make_interval(secs => ${windowSeconds})`;
    await this.prisma.$executeRaw`DELETE FROM sign_in_known_pairs WHERE expires_at < now()`;
  }
}
