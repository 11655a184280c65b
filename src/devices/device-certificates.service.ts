import { Inject, Injectable } from '@nestjs/common';
import type { VerifiedUser } from '../auth/token-verifier.js';
import { validateCsr } from '../certificates/csr.js';
import { DomainError } from '../common/errors/domain-error.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage } from '../common/http/pagination.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { deviceSubject } from '../operations/subjects.js';
import { thingName as composeThingName } from '../policy/names.js';
import { appOwner } from './app-user.js';
import { DevicesRepository } from './devices.repository.js';
import { IssuedCertificateDto } from './dto/device.dto.js';
import { ExpiringCertificateDto, type ExpiringCertificatePageDto, type ExpiringCertificatesQueryDto } from './dto/expiring-certificates.dto.js';
import { DeviceOperations } from './operations/device-operations.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The expiry view's cursor key, `<notAfter ISO> <certificateId>`, back into its parts. */
function expiryCursor(key: string | undefined): { notAfter: Date; certificateId: string } | undefined {
  if (key === undefined) return undefined;
  const [iso, certificateId] = key.split(' ');
  const notAfter = new Date(iso ?? '');
  if (!certificateId || Number.isNaN(notAfter.getTime()))
    throw DomainError.validation('cursor is not a cursor this service issued', { field: 'cursor' });
  return { notAfter, certificateId };
}

/** Rotation (a second certificate) and revocation of a device's certificates, by an admin or by the owner's app. */
@Injectable()
export class DeviceCertificatesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DevicesRepository,
    private readonly operations: DeviceOperations,
    private readonly runner: OperationRunner,
  ) {}

  async issue(thingName: string, csr: string | undefined): Promise<IssuedCertificateDto> {
    if (csr !== undefined) await this.devices.assertPublicKeyUnused(validateCsr(csr).fingerprint);
    const device = await this.devices.getByThingName(thingName);
    const { certificate, privateKey } = await this.runner.run(this.operations.rotation, deviceSubject(thingName), {
      deviceId: device.id,
      thingName,
      policyName: device.policyName,
      ...(csr === undefined ? {} : { csr }),
    });
    return IssuedCertificateDto.issued(certificate, privateKey);
  }

  async revoke(thingName: string, certificateId: string, force: boolean): Promise<void> {
    const device = await this.devices.getByThingName(thingName);
    if (!device.certificates.some((certificate) => certificate.certificateId === certificateId)) {
      throw DomainError.notFound('Certificate', { thingName, certificateId });
    }
    await this.runner.run(this.operations.revocation, deviceSubject(thingName), {
      deviceId: device.id,
      thingName,
      policyName: device.policyName,
      certificateId,
      force,
    });
  }

  async expiring(query: ExpiringCertificatesQueryDto): Promise<ExpiringCertificatePageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = new Date(Date.now() + query.expiringWithinDays * DAY_MS);
    const rows = await this.devices.listCertificatesExpiringBefore(before, limit, expiryCursor(decodeCursor(query.cursor)));
    const page = toPage(rows, limit, (row) => `${row.notAfter.toISOString()} ${row.certificateId}`);
    return { items: page.items.map(ExpiringCertificateDto.from), nextCursor: page.nextCursor };
  }

  /** Rotation from the owner's app: only with a CSR, so the app never handles a private key. */
  async issueMine(caller: VerifiedUser, name: string, csr: string): Promise<IssuedCertificateDto> {
    validateCsr(csr);
    return this.issue(await this.thingOfMine(caller, name), csr);
  }

  async revokeMine(caller: VerifiedUser, name: string, certificateId: string, force: boolean): Promise<void> {
    await this.revoke(await this.thingOfMine(caller, name), certificateId, force);
  }

  /** The thing name of one of the caller's devices; another user's device, like a missing one, is NOT_FOUND. */
  private async thingOfMine(caller: VerifiedUser, name: string): Promise<string> {
    const owner = appOwner(await this.devices.findOwner(caller.username), caller);
    const thingName = composeThingName(this.config.resourcePrefix, owner.username, name);
    const device = await this.devices.findByThingName(thingName);
    if (!device || device.userId !== owner.id) throw DomainError.notFound('Device', { name });
    return thingName;
  }
}
