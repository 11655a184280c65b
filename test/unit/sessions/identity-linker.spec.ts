import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import type { OperationRunner } from '../../../src/operations/operation-runner.js';
import { IdentityLinker } from '../../../src/sessions/identity-linker.js';
import type { SessionOperations } from '../../../src/sessions/operations/session-operations.js';
import type { SessionUser, UsersRepository } from '../../../src/users/users.repository.js';

const linked: SessionUser = {
  id: 'u1',
  username: 'alice',
  cognitoSub: 'sub-1',
  status: 'ACTIVE',
  deletionStartedAt: null,
  policyName: 'iotp_alice',
  identityId: 'eu-west-1:0f0f0f0f-0000-4000-8000-000000000001',
  policyAttachedAt: new Date(),
  tokensValidAfter: null,
};

/** A runner whose run() is controlled by the test; counts runs and what each was given. */
function runnerThat(run: () => Promise<string>) {
  const runs: Array<{ subject: string; ephemeral: Record<string, unknown> }> = [];
  const runner = {
    register: () => undefined,
    run: (_: unknown, subject: string, __: unknown, ephemeral: Record<string, unknown>) => {
      runs.push({ subject, ephemeral });
      return run();
    },
  };
  return { runs, runner: runner as unknown as OperationRunner };
}

function linker(runner: OperationRunner, row: () => SessionUser | null = () => linked) {
  const users = { findForSession: async () => row() } as unknown as UsersRepository;
  return new IdentityLinker(users, runner, { linkIdentity: {} } as SessionOperations);
}

describe('IdentityLinker', () => {
  it('runs one first use for concurrent callers of one user, and a new one after it settled', async () => {
    const releases: Array<(id: string) => void> = [];
    const { runs, runner } = runnerThat(() => new Promise((resolve) => releases.push(resolve)));
    const subject = linker(runner);

    const pending = Array.from({ length: 5 }, () => subject.link('alice', 'id-token'));
    const other = subject.link('bob', 'id-token-bob');
    expect(runs.map((run) => run.subject)).toEqual(['user:alice', 'user:bob']);
    expect(runs[0]!.ephemeral).toEqual({ idToken: 'id-token' });
    releases[0]!('identity-alice');
    releases[1]!('identity-bob');
    await expect(Promise.all(pending)).resolves.toEqual(Array(5).fill('identity-alice'));
    await expect(other).resolves.toBe('identity-bob');

    void subject.link('alice', 'id-token');
    expect(runs).toHaveLength(3);
    releases[2]!('identity-alice');
  });

  it('shares a failure with every waiting caller, then lets the next caller try again', async () => {
    const { runs, runner } = runnerThat(async () => {
      throw new DomainError('AWS_THROTTLED', 'slow down');
    });
    const subject = linker(runner);
    const results = await Promise.allSettled([subject.link('alice', 't'), subject.link('alice', 't')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await expect(subject.link('alice', 't')).rejects.toMatchObject({ code: 'AWS_THROTTLED' });
    expect(runs).toHaveLength(2);
  });

  it('waits for another holder of the user and takes its result', async () => {
    const { runs, runner } = runnerThat(async () => {
      throw new DomainError('OPERATION_IN_PROGRESS', 'held', undefined, 1);
    });
    let reads = 0;
    const subject = linker(runner, () => (++reads < 2 ? { ...linked, policyAttachedAt: null } : linked));
    await expect(subject.link('alice', 't')).resolves.toBe(linked.identityId);
    expect(runs).toHaveLength(2);
  });

  it('stops waiting when the holder disabled or removed the user', async () => {
    const { runner } = runnerThat(async () => {
      throw new DomainError('OPERATION_IN_PROGRESS', 'held', undefined, 1);
    });
    await expect(linker(runner, () => ({ ...linked, status: 'DISABLED' })).link('alice', 't')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(linker(runner, () => null).link('alice', 't')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
