import { Injectable } from '@nestjs/common';
import { toDomainError } from '../common/errors/error-body.js';
import { AppLogger } from '../common/logging/app-logger.js';
import { certificateIdOf } from '../aws/iot-teardown.js';
import { CredentialCache } from '../credential-cache/credential-cache.js';
import { Metrics } from '../metrics/metrics.js';
import { DriftRepairs } from './drift-repairs.js';
import { DriftScanner } from './drift-scanner.js';
import { DriftRepository } from './drift.repository.js';
import type { DriftFilter, DriftScan, Finding } from './drift.types.js';
import type { RepairOutcome } from './operations/repair.steps.js';
import { DriftFindingDto, DriftReportDto, type DriftRepairDto, type RepairItemDto } from './dto/drift.dto.js';

export interface RepairOptions {
  dryRun: boolean;
  includeUnattachedCertificates: boolean;
  filter: DriftFilter;
}

/** Compares the database with AWS, and repairs what differs: orphans removed, ghosts marked. */
@Injectable()
export class DriftService {
  constructor(
    private readonly scanner: DriftScanner,
    private readonly records: DriftRepository,
    private readonly repairs: DriftRepairs,
    private readonly credentialCache: CredentialCache,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
  ) {
    logger.setContext(DriftService.name);
  }

  async detect(filter: DriftFilter = {}): Promise<DriftReportDto> {
    return DriftReportDto.from(await this.scan(filter));
  }

  /**
   * Repairs from a fresh scan, one item at a time (AWS's quotas leave little to gain from more),
   * and goes on past failures: the answer says what was done and what failed. A dry run only plans.
   */
  async repair(options: RepairOptions): Promise<DriftRepairDto> {
    const scan = await this.scan(options.filter);
    if (options.dryRun) return this.plan(scan, options);
    const orphans: RepairItemDto[] = [];
    for (const finding of scan.orphans) {
      const item = await attempt(finding, () => this.repairs.repairOrphan(finding));
      // The repair cleared the row's claim of the attachment; cached credentials would let the next sign-in skip re-linking.
      if (item.result === 'done' && isIdentityAttachment(finding)) this.credentialCache.forget(finding.owner!);
      orphans.push(item);
    }
    const ghosts = await this.markGhosts(scan);
    for (const finding of scan.ghosts.filter(isRecreated)) ghosts.push(await attempt(finding, () => this.repairs.recreatePolicy(finding)));
    const unmarked = await this.unmarkStale(scan);
    const unattachedCertificates: RepairItemDto[] = [];
    for (const finding of scan.unattachedCertificates) {
      unattachedCertificates.push(
        options.includeUnattachedCertificates
          ? await attempt(finding, () => this.repairs.removeUnattached(finding))
          : { ...DriftFindingDto.from(finding), result: 'not-requested' },
      );
    }
    const report = finish(scan, false, orphans, ghosts, unattachedCertificates, unmarked);
    this.logger.info({ summary: report.summary, unmarked }, 'drift repair finished');
    return report;
  }

  private async scan(filter: DriftFilter): Promise<DriftScan> {
    const scan = await this.scanner.scan(filter);
    this.metrics.drift({
      orphans: scan.orphans.length,
      ghosts: scan.ghosts.length,
      unattachedCertificates: scan.unattachedCertificates.length,
      changedPolicies: scan.changedPolicies.length,
    });
    return scan;
  }

  private plan(scan: DriftScan, options: RepairOptions): DriftRepairDto {
    const planned = (finding: Finding): RepairItemDto => ({ ...DriftFindingDto.from(finding), result: 'planned' });
    const unattached = scan.unattachedCertificates.map((finding) =>
      options.includeUnattachedCertificates ? planned(finding) : { ...DriftFindingDto.from(finding), result: 'not-requested' as const },
    );
    return finish(scan, true, scan.orphans.map(planned), scan.ghosts.map(planned), unattached, 0);
  }

  /** Clears marks of rows that are ghosts no more; a failure leaves them for the next repair and says so in the log. */
  private async unmarkStale(scan: DriftScan): Promise<number> {
    try {
      await this.records.unmark(scan.staleMarks);
      return scan.staleMarks.length;
    } catch (error) {
      this.logger.warn({ code: toDomainError(error).code, rows: scan.staleMarks.length }, 'could not clear stale drift marks');
      return 0;
    }
  }

  /**
   * Ghost rows get drift_detected_at (kept from the first time); a ghost attachment also loses its
   * claim. A further policy a user's sites need is created again instead (see repair), not marked.
   */
  private async markGhosts(scan: DriftScan): Promise<RepairItemDto[]> {
    const marked = scan.ghosts.filter((ghost) => !isRecreated(ghost));
    try {
      for (const ghost of marked) {
        if (ghost.action !== 'reset') continue;
        // Every policy of the user is attached again by the next sign-in, whichever of them AWS lost.
        await this.records.forgetUserAttachments(ghost.owner!, ghost.target!);
        // Sign-ins link (and attach) only when vending misses this process's cache. Other replicas
        // vend anew, and so attach, once their cached credentials near expiry (within the hour).
        this.credentialCache.forget(ghost.owner!);
      }
      await this.records.mark(
        marked.flatMap((ghost) => ghost.record ?? []),
        scan.scannedAt,
      );
    } catch (error) {
      const { code, message } = toDomainError(error);
      return marked.map((ghost) => ({ ...DriftFindingDto.from(ghost), result: 'failed', error: { code, message } }));
    }
    return marked.map((ghost) => ({ ...DriftFindingDto.from(ghost), markedAt: ghost.record?.markedAt ?? scan.scannedAt, result: 'done' }));
  }
}

function isRecreated(finding: Finding): boolean {
  return finding.action === 'recreate';
}

/** A user policy on a Cognito identity: the attachment a sign-in makes. */
function isIdentityAttachment(finding: Finding): boolean {
  return (
    finding.kind === 'policy-attachment' && finding.owner !== undefined && finding.device === undefined && !certificateIdOf(finding.target ?? '')
  );
}

async function attempt(finding: Finding, repair: () => Promise<RepairOutcome>): Promise<RepairItemDto> {
  try {
    const outcome = await repair();
    return { ...DriftFindingDto.from(finding), ...outcome };
  } catch (error) {
    const { code, message } = toDomainError(error);
    return { ...DriftFindingDto.from(finding), result: 'failed', error: { code, message } };
  }
}

function finish(
  scan: DriftScan,
  dryRun: boolean,
  orphans: RepairItemDto[],
  ghosts: RepairItemDto[],
  unattachedCertificates: RepairItemDto[],
  unmarked: number,
): DriftRepairDto {
  const all = [...orphans, ...ghosts, ...unattachedCertificates];
  const count = (result: RepairItemDto['result']) => all.filter((item) => item.result === result).length;
  return {
    dryRun,
    scannedAt: scan.scannedAt,
    ...(scan.filter ? { filter: scan.filter } : {}),
    scanned: scan.scanned,
    orphans,
    ghosts,
    unattachedCertificates,
    unmarked,
    inProgress: scan.inProgress,
    pendingDeletion: scan.pendingDeletion,
    summary: { planned: count('planned'), done: count('done'), skipped: count('skipped'), failed: count('failed') },
  };
}
