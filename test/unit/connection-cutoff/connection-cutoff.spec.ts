import { describe, expect, it } from 'vitest';
import type { AppLogger } from '../../../src/common/logging/app-logger.js';
import { ConnectionCutoff, RETRY_BACKOFF_MS, RETRY_FOR_MS } from '../../../src/connection-cutoff/connection-cutoff.js';
import type { NewPendingCutoff, PendingCutoffRow, PendingCutoffsRepository } from '../../../src/connection-cutoff/pending-cutoffs.repository.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import { FakeAws } from '../../fakes/fake-aws.js';

const NO_WAIT = [0, 0];
const quiet = { setContext() {}, info() {}, warn() {} } as unknown as AppLogger;

/** pending_cutoffs in memory, as the repository behaves: one row per (client id, reason), claims push the next attempt on. */
class MemoryPendingCutoffs {
  readonly rows: Array<PendingCutoffRow & { nextAttemptAt: Date; lastError: string }> = [];
  private ids = 0;

  async add(entries: NewPendingCutoff[]): Promise<void> {
    for (const entry of entries) {
      const existing = this.rows.findIndex((row) => row.target.clientId === entry.target.clientId && row.reason === entry.reason);
      if (existing >= 0) this.rows.splice(existing, 1);
      const { target, reason, code, nextAttemptAt, giveUpAt } = entry;
      this.rows.push({ id: String(++this.ids), target, reason, attempts: 0, lastError: code, nextAttemptAt, giveUpAt });
    }
  }

  async claimDue(now: Date, claimUntil: Date) {
    const due = this.rows.filter((row) => row.nextAttemptAt <= now).sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime())[0];
    if (!due) return undefined;
    due.nextAttemptAt = claimUntil;
    return { id: due.id, target: due.target, reason: due.reason, attempts: due.attempts, giveUpAt: due.giveUpAt };
  }

  async reschedule(id: string, attempts: number, code: string, nextAttemptAt: Date): Promise<void> {
    const row = this.rows.find((candidate) => candidate.id === id);
    if (row) Object.assign(row, { attempts, lastError: code, nextAttemptAt });
  }

  async remove(id: string): Promise<void> {
    const index = this.rows.findIndex((row) => row.id === id);
    if (index >= 0) this.rows.splice(index, 1);
  }

  async cancel(clientIds: string[]): Promise<number> {
    const before = this.rows.length;
    for (const row of this.rows.filter((candidate) => clientIds.includes(candidate.target.clientId))) await this.remove(row.id);
    return before - this.rows.length;
  }

  async count(): Promise<number> {
    return this.rows.length;
  }
}

function cutoffOver(aws: FakeAws) {
  const pending = new MemoryPendingCutoffs();
  const metrics = new Metrics();
  const cutoff = new ConnectionCutoff(aws.connections, pending as unknown as PendingCutoffsRepository, metrics, quiet);
  const counted = async () => {
    const values = (await metrics.registry.getSingleMetric('connection_cutoffs_total')!.get()).values;
    const gauge = (await metrics.registry.getSingleMetric('connection_cutoffs_pending')!.get()).values[0]?.value;
    return { ...Object.fromEntries(values.map((value) => [String(value.labels.outcome), value.value])), pendingGauge: gauge };
  };
  return { cutoff, pending, counted };
}

const at = (ms: number) => new Date(Date.now() + ms);

describe('ConnectionCutoff', () => {
  it('closes connected clients and reports those that were not connected', async () => {
    const aws = new FakeAws();
    aws.connections.connect('alice');
    const { cutoff, pending, counted } = cutoffOver(aws);

    const report = await cutoff.close(
      [
        { clientId: 'alice', cleanSession: false },
        { clientId: 'iotp_alice_kettle', cleanSession: true },
      ],
      'disable-user',
      NO_WAIT,
    );

    expect(report).toEqual({ closed: ['alice'], notConnected: ['iotp_alice_kettle'], pending: [] });
    expect(aws.connections.isConnected('alice')).toBe(false);
    expect(pending.rows).toEqual([]);
    expect(await counted()).toMatchObject({ closed: 1, not_connected: 1 });
  });

  it('retries a failed DeleteConnection within the step, and leaves one that keeps failing to later attempts, without throwing', async () => {
    const aws = new FakeAws();
    aws.connections.connect('alice');
    aws.connections.connect('bob');
    const { cutoff, pending, counted } = cutoffOver(aws);
    aws.faults.inject({ api: 'DeleteConnection', error: 'throttle', times: 1 });

    expect(await cutoff.close([{ clientId: 'alice', cleanSession: false }], 'disable-user', NO_WAIT)).toEqual({
      closed: ['alice'],
      notConnected: [],
      pending: [],
    });
    expect(aws.connections.clientIds()).toEqual(['alice', 'alice']);

    aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });
    const before = Date.now();
    const target = { clientId: 'bob', cleanSession: false, identityId: 'eu-west-1:b' };
    expect(await cutoff.close([target], 'disable-user', NO_WAIT)).toEqual({
      closed: [],
      notConnected: [],
      pending: [{ clientId: 'bob', code: 'AWS_UNAVAILABLE' }],
    });
    expect(aws.connections.isConnected('bob')).toBe(true);
    expect(pending.rows).toMatchObject([{ target, reason: 'disable-user', attempts: 0, lastError: 'AWS_UNAVAILABLE' }]);
    const [row] = pending.rows;
    expect(row!.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + RETRY_BACKOFF_MS[0]!);
    expect(row!.giveUpAt.getTime()).toBeGreaterThanOrEqual(before + RETRY_FOR_MS);
    expect(await counted()).toMatchObject({ closed: 1, pending: 1, pendingGauge: 1 });
  });

  it('a later attempt closes the connection with the target the step named', async () => {
    const aws = new FakeAws();
    aws.connections.connect('iotp_bob_kettle');
    const { cutoff, pending, counted } = cutoffOver(aws);
    aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });
    await cutoff.close([{ clientId: 'iotp_bob_kettle', cleanSession: true }], 'delete-device', NO_WAIT);

    // Not due yet: nothing is tried.
    expect(await cutoff.retryDue(new Date())).toEqual({ closed: [], notConnected: [], retried: [], givenUp: [] });
    expect(aws.connections.calls).toHaveLength(3);

    expect(await cutoff.retryDue(at(RETRY_BACKOFF_MS[0]!))).toEqual({ closed: ['iotp_bob_kettle'], notConnected: [], retried: [], givenUp: [] });
    expect(aws.connections.calls.at(-1)).toEqual({ clientId: 'iotp_bob_kettle', cleanSession: true, preventWillMessage: false });
    expect(aws.connections.isConnected('iotp_bob_kettle')).toBe(false);
    expect(pending.rows).toEqual([]);
    expect(await counted()).toMatchObject({ pending: 1, closed: 1, pendingGauge: 0 });
  });

  it('backs off between later attempts, and gives up once the bound passed', async () => {
    const aws = new FakeAws();
    aws.connections.connect('alice');
    const { cutoff, pending, counted } = cutoffOver(aws);
    aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: Infinity });
    await cutoff.close([{ clientId: 'alice', cleanSession: false }], 'disable-user', NO_WAIT);

    let now = 0;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 7; attempt++) {
      now = pending.rows[0]!.nextAttemptAt.getTime() - Date.now();
      expect(await cutoff.retryDue(at(now))).toMatchObject({ retried: ['alice'] });
      delays.push(pending.rows[0]!.nextAttemptAt.getTime() - at(now).getTime());
    }
    // Rounded: the pass's `now` and the test's clock differ by the milliseconds between them.
    expect(delays.map((delay) => Math.round(delay / 1000) * 1000)).toEqual([30_000, 60_000, 120_000, 300_000, 300_000, 300_000, 300_000]);
    expect(pending.rows[0]).toMatchObject({ attempts: 7, lastError: 'AWS_UNAVAILABLE' });

    expect(await cutoff.retryDue(at(RETRY_FOR_MS + 1000))).toEqual({ closed: [], notConnected: [], retried: [], givenUp: ['alice'] });
    expect(pending.rows).toEqual([]);
    const calls = aws.connections.calls.length;
    expect(await cutoff.retryDue(at(RETRY_FOR_MS + 600_000))).toEqual({ closed: [], notConnected: [], retried: [], givenUp: [] });
    expect(aws.connections.calls).toHaveLength(calls);
    expect(aws.connections.isConnected('alice')).toBe(true);
    expect(await counted()).toMatchObject({ pending: 1, given_up: 1, pendingGauge: 0 });
  });

  it('a failure ends the pass: the cut-offs behind it wait for the next one', async () => {
    const aws = new FakeAws();
    for (const clientId of ['a', 'b', 'c']) aws.connections.connect(clientId);
    const { cutoff, pending } = cutoffOver(aws);
    aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 9 });
    await cutoff.close(
      ['a', 'b', 'c'].map((clientId) => ({ clientId, cleanSession: true })),
      'delete-user',
      NO_WAIT,
    );
    aws.faults.inject({ api: 'DeleteConnection', error: 'throttle', times: 1 });

    const calls = aws.connections.calls.length;
    expect(await cutoff.retryDue(at(RETRY_BACKOFF_MS[0]!))).toEqual({ closed: [], notConnected: [], retried: ['a'], givenUp: [] });
    expect(aws.connections.calls).toHaveLength(calls + 1);
    expect(await cutoff.retryDue(at(RETRY_BACKOFF_MS[0]! + RETRY_BACKOFF_MS[1]!))).toEqual({
      closed: ['b', 'c', 'a'],
      notConnected: [],
      retried: [],
      givenUp: [],
    });
    expect(pending.rows).toEqual([]);
  });

  it('cancel drops the pending cut-offs of a client id whose access was granted again', async () => {
    const aws = new FakeAws();
    aws.connections.connect('alice');
    const { cutoff, pending, counted } = cutoffOver(aws);
    aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });
    await cutoff.close([{ clientId: 'alice', cleanSession: false }], 'disable-user', NO_WAIT);

    await cutoff.cancel(['alice']);

    expect(pending.rows).toEqual([]);
    expect(await cutoff.retryDue(at(RETRY_BACKOFF_MS[0]!))).toEqual({ closed: [], notConnected: [], retried: [], givenUp: [] });
    expect(aws.connections.isConnected('alice')).toBe(true);
    expect(await counted()).toMatchObject({ cancelled: 1, pendingGauge: 0 });
  });
});
