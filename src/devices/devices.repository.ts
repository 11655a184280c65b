import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { siteBeingDeleted } from '../common/errors/site-being-deleted.js';
import type { Certificate, CertificateStatus, Device, Prisma, UserStatus } from '../generated/prisma/client.js';
import { isForeignKeyViolation, isUniqueViolation } from '../persistence/prisma-errors.js';
import { PrismaService } from '../persistence/prisma.service.js';
import type { OperationKind } from '../operations/kinds.js';
import { userSubject } from '../operations/subjects.js';
import type { Owner, OwnerKind } from './device-owner.js';

export type { OwnerKind } from './device-owner.js';

export type CertificateRecord = Certificate;
/** `owner` is the owning user's name, or the site's name when `ownerKind` is 'site'. */
export type DeviceRecord = Device & { owner: string; ownerKind: OwnerKind; certificates: CertificateRecord[] };

export type ExpiringCertificate = CertificateRecord & { thingName: string; deviceName: string; owner: string };

export interface DeviceOwner {
  id: string;
  username: string;
  status: UserStatus;
  cognitoSub: string | null;
  /** Set once a deletion of the user started: no new device for it. */
  deletionStartedAt: Date | null;
}

/** A site, as its devices need it. */
export interface DeviceSite {
  id: string;
  name: string;
  /** Set once a deletion of the site started: no new device for it. */
  deletionStartedAt: Date | null;
}

/** Which owner's devices: the kind says which column holds the id. */
export type OwnerKey = Pick<Owner, 'kind' | 'id'>;

export interface NewCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  notAfter: Date;
  publicKeySha256: string;
}

export interface NewDevice {
  id: string;
  owner: OwnerKey;
  name: string;
  thingName: string;
  thingArn: string;
  policyName: string;
  attributes: Record<string, string>;
  certificate: NewCertificate;
}

const WITH_CERTIFICATES = {
  certificates: { orderBy: [{ createdAt: 'asc' }, { certificateId: 'asc' }] },
  user: { select: { username: true } },
  site: { select: { name: true } },
} satisfies Prisma.DeviceInclude;

type DeviceRow = Prisma.DeviceGetPayload<{ include: typeof WITH_CERTIFICATES }>;

/** The only place that reads and writes devices and certificates (and reads owners, so devices need not import the users module). */
@Injectable()
export class DevicesRepository {
  constructor(private readonly prisma: PrismaService) {}

  findOwner(username: string): Promise<DeviceOwner | null> {
    return this.prisma.user.findUnique({
      where: { username },
      select: { id: true, username: true, status: true, cognitoSub: true, deletionStartedAt: true },
    });
  }

  findSite(name: string): Promise<DeviceSite | null> {
    return this.prisma.site.findUnique({ where: { name }, select: { id: true, name: true, deletionStartedAt: true } });
  }

  async findByThingName(thingName: string): Promise<DeviceRecord | null> {
    const row = await this.prisma.device.findUnique({ where: { thingName }, include: WITH_CERTIFICATES });
    return row ? toRecord(row) : null;
  }

  async getByThingName(thingName: string): Promise<DeviceRecord> {
    const device = await this.findByThingName(thingName);
    if (!device) throw DomainError.notFound('Device', { thingName });
    return device;
  }

  /** Devices of one owner by name; `after` is the last name of the previous page. Fetches limit + 1 to tell if more follow. */
  async listByOwner(owner: OwnerKey, limit: number, after?: string): Promise<DeviceRecord[]> {
    const rows = await this.prisma.device.findMany({
      where: { ...ownedBy(owner), ...(after === undefined ? {} : { name: { gt: after } }) },
      orderBy: { name: 'asc' },
      take: limit + 1,
      include: WITH_CERTIFICATES,
    });
    return rows.map(toRecord);
  }

  async thingNamesOfOwner(owner: OwnerKey): Promise<string[]> {
    const rows = await this.prisma.device.findMany({ where: ownedBy(owner), orderBy: { name: 'asc' }, select: { thingName: true } });
    return rows.map((row) => row.thingName);
  }

  countOfOwner(owner: OwnerKey): Promise<number> {
    return this.prisma.device.count({ where: ownedBy(owner) });
  }

  /**
   * Certificates of every device whose notAfter is before `before`, oldest first; `after` is the
   * (notAfter, certificateId) of the previous page's last row. Served by the (not_after, certificate_id) index.
   */
  async listCertificatesExpiringBefore(
    before: Date,
    limit: number,
    after?: { notAfter: Date; certificateId: string },
  ): Promise<ExpiringCertificate[]> {
    const rows = await this.prisma.certificate.findMany({
      where: {
        notAfter: { lt: before },
        ...(after === undefined
          ? {}
          : { OR: [{ notAfter: { gt: after.notAfter } }, { notAfter: after.notAfter, certificateId: { gt: after.certificateId } }] }),
      },
      orderBy: [{ notAfter: 'asc' }, { certificateId: 'asc' }],
      take: limit + 1,
      include: { device: { select: { thingName: true, name: true, user: { select: { username: true } }, site: { select: { name: true } } } } },
    });
    return rows.map(({ device, ...certificate }) => ({
      ...certificate,
      thingName: device.thingName,
      deviceName: device.name,
      owner: ownerOf(device),
    }));
  }

  async isTaken(owner: OwnerKey, name: string, thingName: string): Promise<boolean> {
    const row = await this.prisma.device.findFirst({ where: { OR: [{ ...ownedBy(owner), name }, { thingName }] }, select: { id: true } });
    return row !== null;
  }

  /**
   * The device row and its first certificate row, together or not at all, and never for an owner
   * being deleted. The owner's row is locked FOR SHARE meanwhile: a user or site deletion marks its
   * row (an UPDATE, which waits for this insert) before it lists the devices to delete, so either it
   * sees this device or this insert sees the deletion, and a device cannot slip in behind it.
   */
  async create(input: NewDevice): Promise<DeviceRecord> {
    const { certificate, owner, ...device } = input;
    try {
      const row = await this.prisma.$transaction(async (tx) => {
        if (owner.kind === 'user') {
          const [user] = await tx.$queryRaw<Array<{ username: string }>>`SELECT username FROM users WHERE id = ${owner.id}::uuid FOR SHARE`;
          if (!user) throw DomainError.notFound('User', { userId: owner.id });
          const deletion = await tx.operation.findFirst({
            where: { activeSubject: userSubject(user.username), kind: 'delete-user' satisfies OperationKind },
            select: { id: true },
          });
          if (deletion) throw DomainError.notFound('User', { username: user.username, reason: 'BEING_DELETED' });
        } else {
          // FOR SHARE waits for a deletion's mark and then reads the marked row, so the mark is seen here or this device there.
          const [site] = await tx.$queryRaw<Array<{ name: string; deleting: boolean }>>`
            SELECT name, deletion_started_at IS NOT NULL AS deleting FROM sites WHERE id = ${owner.id}::uuid FOR SHARE`;
          if (!site) throw DomainError.notFound('Site', { siteId: owner.id });
          if (site.deleting) throw siteBeingDeleted(site.name);
        }
        return tx.device.create({ data: { ...device, ...ownedBy(owner), certificates: { create: certificate } }, include: WITH_CERTIFICATES });
      });
      return toRecord(row);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (isUniqueViolation(error, 'public_key_sha256')) throw publicKeyInUse();
      if (isUniqueViolation(error))
        throw DomainError.conflict(`Device ${input.name} already exists`, { name: input.name, thingName: input.thingName });
      if (isForeignKeyViolation(error)) throw DomainError.notFound(owner.kind === 'user' ? 'User' : 'Site', { [`${owner.kind}Id`]: owner.id });
      throw error;
    }
  }

  async addCertificate(deviceId: string, certificate: NewCertificate): Promise<CertificateRecord> {
    try {
      return await this.prisma.certificate.create({ data: { ...certificate, deviceId } });
    } catch (error) {
      if (isUniqueViolation(error, 'public_key_sha256')) throw publicKeyInUse();
      if (isForeignKeyViolation(error)) throw DomainError.notFound('Device', { deviceId });
      throw error;
    }
  }

  /** Refuses a public key some certificate of the service already has (CONFLICT, reason PUBLIC_KEY_IN_USE). */
  async assertPublicKeyUnused(publicKeySha256: string): Promise<void> {
    if (await this.prisma.certificate.findUnique({ where: { publicKeySha256 }, select: { id: true } })) throw publicKeyInUse();
  }

  findCertificate(deviceId: string, certificateId: string): Promise<CertificateRecord | null> {
    return this.prisma.certificate.findFirst({ where: { deviceId, certificateId } });
  }

  async isCertificateClaimed(certificateId: string): Promise<boolean> {
    return (await this.prisma.certificate.count({ where: { certificateId } })) > 0;
  }

  countCertificates(deviceId: string): Promise<number> {
    return this.prisma.certificate.count({ where: { deviceId } });
  }

  async setCertificateStatus(certificateId: string, status: CertificateStatus): Promise<void> {
    await this.prisma.certificate.updateMany({ where: { certificateId }, data: { status } });
  }

  /** Deletes are re-runnable: a row already gone counts as deleted. */
  async deleteCertificate(certificateId: string): Promise<void> {
    await this.prisma.certificate.deleteMany({ where: { certificateId } });
  }

  /** Removes the device and, by cascade, its certificate rows. */
  async deleteDevice(deviceId: string): Promise<void> {
    await this.prisma.device.deleteMany({ where: { id: deviceId } });
  }
}

/** The column that names the owner: a device has exactly one of user_id and site_id. */
function ownedBy(owner: OwnerKey): { userId: string } | { siteId: string } {
  return owner.kind === 'user' ? { userId: owner.id } : { siteId: owner.id };
}

function toRecord(row: DeviceRow): DeviceRecord {
  const { user, site, ...device } = row;
  return { ...device, owner: ownerOf({ user, site }), ownerKind: user ? 'user' : 'site' };
}

/** A check constraint gives every device exactly one of the two. */
function ownerOf(device: { user: { username: string } | null; site: { name: string } | null }): string {
  const name = device.user?.username ?? device.site?.name;
  if (name === undefined) throw new Error('device row has neither a user nor a site');
  return name;
}

function publicKeyInUse(): DomainError {
  return DomainError.conflict('This public key is already registered for a device: each device needs its own key pair', {
    reason: 'PUBLIC_KEY_IN_USE',
  });
}
