import { Injectable } from '@nestjs/common';
import { PrismaService } from '../persistence/prisma.service.js';
import { SESSION_USER_COLUMNS, type SessionUser } from '../users/users.repository.js';
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

/** Reserved failure rows (their bigint ids, as text); they count as failures until a success or a non-answer releases them. */
export type Reservation = string[];

/**
 * A success's writes, as data-modifying CTEs: they run in full whatever the main query reads, so a
 * success is one atomic statement, and the main query can read what the sign-in needs next.
 */
const successWrite = `WITH released AS (DELETE FROM sign_in_failures WHERE id = ANY($1::bigint[]) OR subject = $2),
  remembered AS (INSERT INTO sign_in_known_pairs (pair_hash, expires_at) VALUES ($3, now() + make_interval(days => $4::int))
    ON CONFLICT (pair_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at)`;

/** One subject's counts as `sign_in_reserve` returns them; `known` and `reserved` are the same on every row. */
interface ReserveRow {
  subject: string;
  failures: number;
  newestAt: number | null;
  oldestAt: number | null;
  now: number;
  known: boolean;
  reserved: string[];
}

/**
 * Sign-in failures and remembered successful (username, address) pairs, shared by every replica.
 * Times are the database's clock, so replicas with skewed clocks agree on windows and delays.
 */
@Injectable()
export class SignInFailuresRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Decides and records an attempt atomically per username, before Cognito is asked, in one
   * statement (the `sign_in_reserve` function): under a transaction-scoped advisory lock on the
   * username it inserts the attempt's failure rows and reads the counts as they were before them;
   * `decide` then looks at the counts, and a refused attempt's rows are deleted again. Concurrent
   * attempts for one username therefore queue on the lock and each sees every attempt before it:
   * a burst cannot overshoot the username's or the pair's limits. (A refused attempt's rows live
   * until that delete, a round trip; an attempt on another replica meanwhile counts them, which can
   * only make it stricter. In this process the limiter runs the delete before the next attempt.)
   * The address is not locked, so that sign-ins of many users behind one address do not queue
   * behind each other: concurrent attempts for different usernames may pass the per-address
   * ceiling by their number, once, and the address counts an attempt only once Cognito has refused it.
   */
  async reserve(
    subjects: AttemptSubjects,
    limits: SubjectLimits,
    windowSeconds: number,
    decide: (state: SignInState) => number | undefined,
  ): Promise<{ reservation: Reservation } | { waitSeconds: number }> {
    const names = [subjects.user, subjects.address, subjects.pair];
    // The address's row waits for Cognito's answer: attempts in flight count for the username and
    // the pair, not for the address, so many users signing in at once behind one address are not refused.
    const rows = await this.prisma.sql.rows<ReserveRow>(
      'sign-in-reserve',
      'SELECT * FROM sign_in_reserve($1, $2::text[], $3::int[], $4::int, $5, $6::text[])',
      [
        `sign-in ${subjects.user}`,
        names,
        [limits.user, limits.address, limits.pair],
        windowSeconds,
        subjects.pairHash,
        [subjects.user, subjects.pair],
      ],
    );
    const of = (subject: string): SubjectFailures => {
      const row = rows.find((candidate) => candidate.subject === subject);
      return { failures: row?.failures ?? 0, newestAt: row?.newestAt ?? undefined, oldestAt: row?.oldestAt ?? undefined };
    };
    const reservation = rows[0]?.reserved ?? [];
    const waitSeconds = decide({
      now: rows[0]?.now ?? Date.now(),
      pair: of(subjects.pair),
      user: of(subjects.user),
      address: of(subjects.address),
      knownPair: rows[0]?.known ?? false,
    });
    if (waitSeconds === undefined) return { reservation };
    await this.release(reservation);
    return { waitSeconds };
  }

  /** A wrong password (or unknown user): the reservation stays as the username's and the pair's failure, and the address gets its own. */
  async recordFailure(subjects: AttemptSubjects): Promise<void> {
    await this.prisma.$executeRaw`INSERT INTO sign_in_failures (subject) VALUES (${subjects.address})`;
  }

  /** The attempt was not a failure after all (Cognito did not answer, or the user is disabled). */
  async release(reservation: Reservation): Promise<void> {
    await this.prisma.sql.count('sign-in-release', 'DELETE FROM sign_in_failures WHERE id = ANY($1::bigint[])', [reservation]);
  }

  /**
   * The right password: the attempt was no failure, the pair's run of typos ends, and the pair is
   * remembered until `days` from now. The username's and the address's other failures stay.
   */
  async recordSuccess(reservation: Reservation, subjects: AttemptSubjects, days: number): Promise<void> {
    await this.prisma.sql.count('sign-in-success', `${successWrite} SELECT 1`, [reservation, subjects.pair, subjects.pairHash, days]);
  }

  /**
   * recordSuccess, and in the same statement the session row of `username`, which a sign-in
   * reads next: one round trip instead of two. Null when there is no such user.
   */
  async recordSuccessAndReadUser(reservation: Reservation, subjects: AttemptSubjects, days: number, username: string): Promise<SessionUser | null> {
    const [row] = await this.prisma.sql.rows<SessionUser>(
      'sign-in-success-and-user',
      `${successWrite} SELECT ${SESSION_USER_COLUMNS} FROM users WHERE username = $5`,
      [reservation, subjects.pair, subjects.pairHash, days, username],
    );
    return row ?? null;
  }

  /** Removes failures that no window counts any more, and pairs past their expiry. */
  async prune(windowSeconds: number): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM sign_in_failures WHERE occurred_at < now() - make_interval(secs => ${windowSeconds})`;
    await this.prisma.$executeRaw`DELETE FROM sign_in_known_pairs WHERE expires_at < now()`;
  }
}
