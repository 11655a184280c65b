import { Injectable } from '@nestjs/common';
import { PrismaService } from '../persistence/prisma.service.js';

/** A provisioned app user, as authorization decisions need it. */
export interface UserPrincipal {
  username: string;
  /** The Cognito sub the user was created with; a token must carry the same one. */
  cognitoSub: string | null;
  active: boolean;
  policyName: string;
  /** The Cognito identity id, once the user has signed in; feeds `${cognito-identity.amazonaws.com:sub}`. */
  identityId: string | null;
}

/** Whom a device belongs to: a user (active unless disabled), or a site (active until its deletion starts). */
export type DeviceOwnerPrincipal = { kind: 'user'; username: string; active: boolean } | { kind: 'site'; site: string; active: boolean };

/** A provisioned device and its owner. */
export interface DevicePrincipal {
  name: string;
  thingName: string;
  policyName: string;
  /** Thing attributes with string values; they feed `${iot:Connection.Thing.Attributes[...]}`. */
  attributes: Record<string, string>;
  /** Whether an active certificate of the device (attached to its thing at registration) exists: only then can a connection resolve thing variables. */
  certificateAttached: boolean;
  owner: DeviceOwnerPrincipal;
}

/**
 * Read-only view of users and devices for the dry-run check and the custom authorizer. The users
 * and devices features own the writes; this repository only answers "who is this principal".
 */
@Injectable()
export class PrincipalsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findUser(username: string): Promise<UserPrincipal | null> {
    const user = await this.prisma.user.findUnique({
      where: { username },
      select: { username: true, cognitoSub: true, status: true, policyName: true, identityId: true },
    });
    if (!user) return null;
    return {
      username: user.username,
      cognitoSub: user.cognitoSub,
      active: user.status === 'ACTIVE',
      policyName: user.policyName,
      identityId: user.identityId,
    };
  }

  async findDevice(thingName: string): Promise<DevicePrincipal | null> {
    const device = await this.prisma.device.findUnique({
      where: { thingName },
      select: {
        name: true,
        thingName: true,
        policyName: true,
        attributes: true,
        user: { select: { username: true, status: true } },
        site: { select: { name: true, deletionStartedAt: true } },
        certificates: { where: { status: 'ACTIVE' }, select: { id: true }, take: 1 },
      },
    });
    if (!device) return null;
    const { user, site } = device;
    const owner: DeviceOwnerPrincipal | undefined = user
      ? { kind: 'user', username: user.username, active: user.status === 'ACTIVE' }
      : site
        ? { kind: 'site', site: site.name, active: site.deletionStartedAt === null }
        : undefined;
    if (!owner) return null;
    return {
      name: device.name,
      thingName: device.thingName,
      policyName: device.policyName,
      attributes: stringValues(device.attributes),
      certificateAttached: device.certificates.length > 0,
      owner,
    };
  }
}

/** Policy variables resolve to strings only; anything else in the JSON column is ignored. */
function stringValues(json: unknown): Record<string, string> {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return {};
  return Object.fromEntries(Object.entries(json).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
