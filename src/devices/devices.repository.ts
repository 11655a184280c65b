import { randomUUID } from 'node:crypto';
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

/** The column that holds a device's owner, by kind. */
const OWNER_COLUMN = { user: 'user_id', site: 'site_id' } as const;

/**
 * DevicesRepository.create's statement for each kind of owner. $1 the owner's id, $2-$8 the device,
 * $9-$14 its certificate; a user's also $15 and $16, the subject prefix and kind of a user deletion.
 */
const CREATE_DEVICE: Record<OwnerKind, string> = {
  user: createDeviceStatement(
    'SELECT username AS name, deletion_started_at FROM users WHERE id = $1::uuid FOR SHARE',
    'AND NOT EXISTS (SELECT 1 FROM operations WHERE active_subject = $15 || owner.name AND kind = $16)',
    'user_id',
  ),
  site: createDeviceStatement('SELECT name, deletion_started_at FROM sites WHERE id = $1::uuid FOR SHARE', '', 'site_id'),
};

function createDeviceStatement(lockOwner: string, notBeingDeleted: string, ownerColumn: string): string {
  return `WITH owner AS (${lockOwner}),
    allowed AS (SELECT name FROM owner WHERE deletion_started_at IS NULL ${notBeingDeleted}),
    device AS (
      INSERT INTO devices (id, ${ownerColumn}, name, thing_name, thing_arn, policy_name, attributes, status, created_at, updated_at)
      SELECT $2::uuid, $1::uuid, $3, $4, $5, $6, $7::jsonb, 'ACTIVE', $8, $8 FROM allowed
      RETURNING id
    ),
    certificate AS (
      INSERT INTO certificates (id, device_id, certificate_id, certificate_arn, certificate_pem, public_key_sha256, status, not_after, created_at, updated_at)
      SELECT $9::uuid, device.id, $10, $11, $12, $13, 'ACTIVE', $14, $8, $8 FROM device
      RETURNING id
    )
    SELECT owner.name AS owner, EXISTS (SELECT 1 FROM certificate) AS inserted FROM owner`;
}

/** The only place that reads and writes devices and certificates (and reads owners, so devices need not import the users module). */
@Injectable()
export class DevicesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findOwner(username: string): Promise<DeviceOwner | null> {
    const [row] = await this.prisma.sql.rows<DeviceOwner>(
      'devices-find-owner',
      `SELECT id, username, status::text AS status, cognito_sub AS "cognitoSub", deletion_started_at AS "deletionStartedAt" FROM users WHERE username = $1`,
      [username],
    );
    return row ?? null;
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

  /** Registration's check, in one statement: whether the owner has a device of this name (or the thing name is any device's), and how many devices it has. */
  async nameUseOfOwner(owner: OwnerKey, name: string, thingName: string): Promise<{ taken: boolean; devices: number }> {
    const column = OWNER_COLUMN[owner.kind];
    const [row] = await this.prisma.sql.rows<{ taken: boolean; devices: number }>(
      `devices-name-use-of-${owner.kind}`,
      `SELECT EXISTS (SELECT 1 FROM devices WHERE (${column} = $1::uuid AND name = $2) OR thing_name = $3) AS taken,
              (SELECT count(*)::int FROM devices WHERE ${column} = $1::uuid) AS devices`,
      [owner.id, name, thingName],
    );
    return row!;
  }

  async isTaken(owner: OwnerKey, name: string, thingName: string): Promise<boolean> {
    const row = await this.prisma.device.findFirst({ where: { OR: [{ ...ownedBy(owner), name }, { thingName }] }, select: { id: true } });
    return row !== null;
  }

  /**
   * The device row and its first certificate row, together or not at all, and never for an owner
   * being deleted; one statement. The owner's row is locked FOR SHARE meanwhile: a user or site
   * deletion marks its row (an UPDATE, which waits for this insert) before it lists the devices to
   * delete, and FOR SHARE returns the locked row in its newest version, so a mark committed after
   * the statement began is seen too. A user deletion also holds its operation from before the mark,
   * which the statement looks for in its snapshot. So either the deletion sees this device, or this
   * insert sees the deletion, and a device cannot slip in behind it.
   */
  async create(input: NewDevice): Promise<DeviceRecord> {
    const { certificate, owner } = input;
    const now = new Date();
    const certificateRowId = randomUUID();
    let rows: Array<{ owner: string; inserted: boolean }>;
    try {
      rows = await this.prisma.sql.rows(`devices-create-for-${owner.kind}`, CREATE_DEVICE[owner.kind], [
        owner.id,
        input.id,
        input.name,
        input.thingName,
        input.thingArn,
        input.policyName,
        JSON.stringify(input.attributes),
        now,
        certificateRowId,
        certificate.certificateId,
        certificate.certificateArn,
        certificate.certificatePem,
        certificate.publicKeySha256,
        certificate.notAfter,
        ...(owner.kind === 'user' ? [userSubject(''), 'delete-user' satisfies OperationKind] : []),
      ]);
    } catch (error) {
      if (isUniqueViolation(error, 'public_key_sha256')) throw publicKeyInUse();
      if (isUniqueViolation(error))
        throw DomainError.conflict(`Device ${input.name} already exists`, { name: input.name, thingName: input.thingName });
      if (isForeignKeyViolation(error)) throw DomainError.notFound(owner.kind === 'user' ? 'User' : 'Site', { [`${owner.kind}Id`]: owner.id });
      throw error;
    }
    const [row] = rows;
    if (!row) throw DomainError.notFound(owner.kind === 'user' ? 'User' : 'Site', { [`${owner.kind}Id`]: owner.id });
    if (!row.inserted) {
      if (owner.kind === 'site') throw siteBeingDeleted(row.owner);
      throw DomainError.notFound('User', { username: row.owner, reason: 'BEING_DELETED' });
    }
    // Every column as just written (the defaults included), so nothing needs reading back.
    return {
      id: input.id,
      userId: owner.kind === 'user' ? owner.id : null,
      siteId: owner.kind === 'site' ? owner.id : null,
      name: input.name,
      thingName: input.thingName,
      thingArn: input.thingArn,
      policyName: input.policyName,
      attributes: input.attributes,
      status: 'ACTIVE',
      driftDetectedAt: null,
      createdAt: now,
      updatedAt: now,
      owner: row.owner,
      ownerKind: owner.kind,
      certificates: [
        { id: certificateRowId, deviceId: input.id, ...certificate, status: 'ACTIVE', driftDetectedAt: null, createdAt: now, updatedAt: now },
      ],
    };
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
    const used = await this.prisma.sql.count('devices-public-key-used', 'SELECT 1 FROM certificates WHERE public_key_sha256 = $1', [publicKeySha256]);
    if (used > 0) throw publicKeyInUse();
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
