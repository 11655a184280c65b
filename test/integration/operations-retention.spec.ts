import 'reflect-metadata';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OperationsRepository } from '../../src/operations/operations.repository.js';
import { RecoveryService, TRIM_BATCH_ROWS, TRIM_BATCHES_PER_PASS } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Finished operations leave after their status's retention window; running ones never do. */
const COMPLETED_DAYS = 7;
const FAILED_DAYS = 60;

describe('operations retention', () => {
  let t: TestApp;
  let prisma: PrismaService;
  let recovery: RecoveryService;

  /** Operations finished (last updated) `daysAgo` days ago; running ones hold a live lease so recovery leaves them be. */
  const insert = (rows: Array<{ subject: string; status: string; daysAgo: number }>) =>
    prisma.$executeRawUnsafe(
      `INSERT INTO operations (id, kind, subject, active_subject, status, lease_expires_at, created_at, updated_at)
       SELECT gen_random_uuid(), 'register-device', r.subject, CASE WHEN r.status IN ('RUNNING', 'UNDOING') THEN r.subject END,
              r.status::"OperationStatus", now() + interval '1 hour', now() - make_interval(days => r.days + 1), now() - make_interval(days => r.days)
       FROM jsonb_to_recordset($1::jsonb) AS r(subject text, status text, days int)`,
      JSON.stringify(rows.map(({ subject, status, daysAgo }) => ({ subject, status, days: daysAgo }))),
    );
  const subjects = async () =>
    (await prisma.operation.findMany({ select: { subject: true }, orderBy: { subject: 'asc' } })).map((row) => row.subject);

  beforeAll(async () => {
    t = await startTestApp({ env: { OPERATIONS_RETAIN_COMPLETED_DAYS: String(COMPLETED_DAYS), OPERATIONS_RETAIN_FAILED_DAYS: String(FAILED_DAYS) } });
    prisma = t.app.get(PrismaService);
    recovery = t.app.get(RecoveryService);
  });

  afterAll(() => t?.close());

  beforeEach(async () => {
    // A pass already under way (the one at boot) would be the one recoverAll answers: let it end before rows go in.
    await recovery.recoverAll();
    await prisma.operation.deleteMany({});
  });

  it('trims finished operations past their window on a recovery pass, and keeps recent and running ones', async () => {
    await insert([
      { subject: 'completed-old', status: 'COMPLETED', daysAgo: COMPLETED_DAYS + 1 },
      { subject: 'completed-recent', status: 'COMPLETED', daysAgo: COMPLETED_DAYS - 1 },
      { subject: 'failed-old', status: 'FAILED', daysAgo: FAILED_DAYS + 1 },
      { subject: 'failed-recent', status: 'FAILED', daysAgo: FAILED_DAYS - 1 },
      { subject: 'undone-old', status: 'UNDONE', daysAgo: FAILED_DAYS + 1 },
      { subject: 'undone-past-completed-window', status: 'UNDONE', daysAgo: COMPLETED_DAYS + 1 },
      { subject: 'running-ancient', status: 'RUNNING', daysAgo: 1000 },
      { subject: 'undoing-ancient', status: 'UNDOING', daysAgo: 1000 },
    ]);

    await recovery.recoverAll();

    expect(await subjects()).toEqual(['completed-recent', 'failed-recent', 'running-ancient', 'undoing-ancient', 'undone-past-completed-window']);
  });

  it('deletes in bounded batches: one pass takes at most a few batches, the next pass takes the rest', async () => {
    const perPass = TRIM_BATCH_ROWS * TRIM_BATCHES_PER_PASS;
    await insert(
      Array.from({ length: perPass + 100 }, (_, index) => ({
        subject: `old-${index}`,
        status: 'COMPLETED',
        daysAgo: COMPLETED_DAYS + 1 + (index % 50),
      })),
    );
    await insert([{ subject: 'recent', status: 'COMPLETED', daysAgo: 0 }]);

    await expect(recovery.trimFinished()).resolves.toBe(perPass);
    expect(await prisma.operation.count()).toBe(101);
    await expect(recovery.trimFinished()).resolves.toBe(100);
    expect(await subjects()).toEqual(['recent']);
  });

  it('removes at most the batch size per statement, oldest first', async () => {
    await insert([10, 20, 30, 40].map((days) => ({ subject: `done-${days}`, status: 'COMPLETED', daysAgo: days })));

    const removed = await t.app.get(OperationsRepository).deleteFinishedBefore('COMPLETED', new Date(Date.now() - 5 * 86_400_000), 2);

    expect(removed).toBe(2);
    expect(await subjects()).toEqual(['done-10', 'done-20']);
  });
});
