import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { validateCsr } from '../certificates/csr.js';
import { DomainError } from '../common/errors/domain-error.js';
import { userBeingDeleted } from '../common/errors/user-being-deleted.js';
import { ignoreNotFound } from '../common/errors/ignore-not-found.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type PageQueryDto } from '../common/http/pagination.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { MqttConnection } from '../mqtt/mqtt-connection.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { deviceSubject } from '../operations/subjects.js';
import { devicePolicyName, thingName as composeThingName } from '../policy/names.js';
import { DevicesRepository, type DeviceOwner } from './devices.repository.js';
import type { CreateDeviceDto } from './dto/device-requests.dto.js';
import { DeviceDto, RegisteredDeviceDto, type DevicePageDto } from './dto/device.dto.js';
import { DeviceOperations } from './operations/device-operations.js';
import { UserDeviceCleanup } from './user-device-cleanup.js';

/** Registering, reading and deleting devices; deleting a user deletes its devices through here. */
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
    if (input.csr !== undefined) await this.devices.assertPublicKeyUnused(validateCsr(input.csr).fingerprint);
    return this.registerFor(await this.ownerOf(username), input);
  }

  /** The one registration, for an admin's request and a redeemed claim alike; the CSR, if any, was validated. */
  async registerFor(owner: DeviceOwner, input: CreateDeviceDto): Promise<RegisteredDeviceDto> {
    if (owner.deletionStartedAt) throw userBeingDeleted(owner.username);
    const thingName = composeThingName(this.config.resourcePrefix, owner.username, input.name);
    // Read before anything is created: once the device exists, its response (and any private key) must not fail.
    const endpoint = await this.mqtt.endpoint();
    const { device, privateKey } = await this.runner.run(this.operations.registration, deviceSubject(thingName), {
      deviceId: randomUUID(),
      userId: owner.id,
      username: owner.username,
      name: input.name,
      thingName,
      policyName: devicePolicyName(this.config.resourcePrefix, owner.username, input.name),
      attributes: { owner: owner.username, device: input.name, ...input.attributes },
      ...(input.csr === undefined ? {} : { csr: input.csr }),
    });
    return RegisteredDeviceDto.from(device, endpoint, privateKey);
  }

  async get(thingName: string): Promise<DeviceDto> {
    const device = await this.devices.getByThingName(thingName);
    return DeviceDto.from(device, await this.mqtt.endpoint());
  }

  async listOfOwner(username: string, query: PageQueryDto): Promise<DevicePageDto> {
    return this.page(await this.ownerOf(username), query);
  }

  /**
   * The signed-in user's devices; a user the service has no row for has none. The row must be this
   * very Cognito user's (`sub`): a username deleted and created again in Cognito is another person.
   */
  async listMine(caller: { username: string; sub: string }, query: PageQueryDto): Promise<DevicePageDto> {
    const owner = await this.devices.findOwner(caller.username);
    return owner && owner.cognitoSub === caller.sub ? this.page(owner, query) : { items: [], nextCursor: null };
  }

  async delete(thingName: string): Promise<void> {
    const device = await this.devices.getByThingName(thingName);
    await this.runner.run(this.operations.deletion, deviceSubject(thingName), {
      deviceId: device.id,
      thingName,
      policyName: device.policyName,
    });
  }

  /** One device after another, each completely; a device deleted meanwhile counts as deleted. */
  async deleteAllOfUser(username: string): Promise<void> {
    const owner = await this.devices.findOwner(username);
    if (!owner) return;
    for (const thingName of await this.devices.thingNamesOfOwner(owner.id)) {
      await ignoreNotFound(this.delete(thingName));
    }
  }

  private async ownerOf(username: string): Promise<DeviceOwner> {
    const owner = await this.devices.findOwner(username);
    if (!owner) throw DomainError.notFound('User', { username });
    return owner;
  }

  private async page(owner: DeviceOwner, query: PageQueryDto): Promise<DevicePageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.devices.listByOwner(owner.id, limit, decodeCursor(query.cursor));
    const page = toPage(rows, limit, (device) => device.name);
    if (page.items.length === 0) return { items: [], nextCursor: page.nextCursor };
    const endpoint = await this.mqtt.endpoint();
    return { items: page.items.map((device) => DeviceDto.from(device, endpoint)), nextCursor: page.nextCursor };
  }
}
