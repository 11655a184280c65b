import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { validateCsr } from '../certificates/csr.js';
import { DomainError } from '../common/errors/domain-error.js';
import { siteBeingDeleted } from '../common/errors/site-being-deleted.js';
import { userBeingDeleted } from '../common/errors/user-being-deleted.js';
import { ignoreNotFound } from '../common/errors/ignore-not-found.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type PageQueryDto } from '../common/http/pagination.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { MqttConnection } from '../mqtt/mqtt-connection.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { deviceSubject } from '../operations/subjects.js';
import { ownedThingAttributes, ownedThingName, type Owner } from './device-owner.js';
import { DevicesRepository, type DeviceOwner, type DeviceRecord } from './devices.repository.js';
import type { CreateDeviceDto } from './dto/device-requests.dto.js';
import { DeviceDto, RegisteredDeviceDto, type DevicePageDto } from './dto/device.dto.js';
import { DeviceOperations } from './operations/device-operations.js';
import { UserDeviceCleanup } from './user-device-cleanup.js';

/** An owner about to get a device: one whose deletion started gets none. */
export type RegisteringOwner = Owner & { deletionStartedAt: Date | null };

/** A user's row as the owner of its devices. */
export function userOwner(user: DeviceOwner): RegisteringOwner {
  return { kind: 'user', id: user.id, name: user.username, deletionStartedAt: user.deletionStartedAt };
}

/**
 * Registering, reading and deleting devices, a user's or a site's alike; deleting a user deletes
 * its devices through here (the site routes are SiteDevicesService, over the same methods).
 */
@Injectable()
export class DevicesService extends UserDeviceCleanup {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DevicesRepository,
    private readonly mqtt: MqttConnection,
    private readonly operations: DeviceOperations,
    private readonly runner: OperationRunner,
  ) {
    super();
  }

  async register(username: string, input: CreateDeviceDto): Promise<RegisteredDeviceDto> {
    // Checks that need no AWS call come first: a bad request or an unknown owner costs AWS nothing.
    await this.assertCsrUsable(input.csr);
    return this.registerFor(userOwner(await this.ownerOf(username)), input);
  }

  /** A CSR that does not verify, or whose key some certificate already has, is refused before anything else. */
  async assertCsrUsable(csr: string | undefined): Promise<void> {
    if (csr !== undefined) await this.devices.assertPublicKeyUnused(validateCsr(csr).fingerprint);
  }

  /** The one registration, for an admin's request, a redeemed claim and a site's device alike; the CSR, if any, was validated. */
  async registerFor(owner: RegisteringOwner, input: CreateDeviceDto): Promise<RegisteredDeviceDto> {
    if (owner.deletionStartedAt) throw owner.kind === 'user' ? userBeingDeleted(owner.name) : siteBeingDeleted(owner.name);
    // A device's policy has its thing's name: policies and things are separate AWS namespaces.
    const thingName = ownedThingName(this.config.resourcePrefix, owner, input.name);
    // Read before anything is created: once the device exists, its response (and any private key) must not fail.
    const endpoint = await this.mqtt.endpoint();
    const { device, privateKey } = await this.runner.run(this.operations.registration, deviceSubject(thingName), {
      deviceId: randomUUID(),
      owner: { kind: owner.kind, id: owner.id, name: owner.name },
      name: input.name,
      thingName,
      policyName: thingName,
      attributes: { ...ownedThingAttributes(owner, input.name), ...input.attributes },
      ...(input.csr === undefined ? {} : { csr: input.csr }),
    });
    return RegisteredDeviceDto.from(device, endpoint, privateKey);
  }

  async get(thingName: string): Promise<DeviceDto> {
    return this.view(await this.devices.getByThingName(thingName));
  }

  async view(device: DeviceRecord): Promise<DeviceDto> {
    return DeviceDto.from(device, await this.mqtt.endpoint());
  }

  async listOfOwner(username: string, query: PageQueryDto): Promise<DevicePageDto> {
    return this.page(userOwner(await this.ownerOf(username)), query);
  }

  /**
   * The signed-in user's devices; a user the service has no row for has none. The row must be this
   * very Cognito user's (`sub`): a username deleted and created again in Cognito is another person.
   */
  async listMine(caller: { username: string; sub: string }, query: PageQueryDto): Promise<DevicePageDto> {
    const owner = await this.devices.findOwner(caller.username);
    return owner && owner.cognitoSub === caller.sub ? this.page(userOwner(owner), query) : { items: [], nextCursor: null };
  }

  async delete(thingName: string): Promise<void> {
    const device = await this.devices.getByThingName(thingName);
    await this.runner.run(this.operations.deletion, deviceSubject(thingName), {
      deviceId: device.id,
      thingName,
      policyName: device.policyName,
    });
  }

  async deleteAllOfUser(username: string): Promise<void> {
    const owner = await this.devices.findOwner(username);
    if (owner) await this.deleteAllOf(userOwner(owner));
  }

  /** One device after another, each completely; a device deleted meanwhile counts as deleted. */
  async deleteAllOf(owner: Pick<Owner, 'kind' | 'id'>): Promise<void> {
    for (const thingName of await this.devices.thingNamesOfOwner(owner)) {
      await ignoreNotFound(this.delete(thingName));
    }
  }

  async page(owner: Pick<Owner, 'kind' | 'id'>, query: PageQueryDto): Promise<DevicePageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.devices.listByOwner(owner, limit, decodeCursor(query.cursor));
    const page = toPage(rows, limit, (device) => device.name);
    if (page.items.length === 0) return { items: [], nextCursor: page.nextCursor };
    const endpoint = await this.mqtt.endpoint();
    return { items: page.items.map((device) => DeviceDto.from(device, endpoint)), nextCursor: page.nextCursor };
  }

  private async ownerOf(username: string): Promise<DeviceOwner> {
    const owner = await this.devices.findOwner(username);
    if (!owner) throw DomainError.notFound('User', { username });
    return owner;
  }
}
