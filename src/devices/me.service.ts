import { Injectable } from '@nestjs/common';
import type { VerifiedUser } from '../auth/token-verifier.js';
import { Entitlements } from '../entitlements/entitlements.js';
import { siteTopicPrefix, userTopicPrefix } from '../policy/names.js';
import { appOwner } from './app-user.js';
import { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import type { MeDto } from './dto/me.dto.js';

/** What an app shows its signed-in user: who they are, their sites and their devices. */
@Injectable()
export class MeService {
  constructor(
    private readonly owners: DevicesRepository,
    private readonly devices: DevicesService,
    private readonly entitlements: Entitlements,
  ) {}

  async me(caller: VerifiedUser): Promise<MeDto> {
    const owner = appOwner(await this.owners.findOwner(caller.username), caller);
    // The memberships the user's documents are compiled from, so every topic prefix here is one they may use.
    const [grants, devices] = await Promise.all([this.entitlements.grantsOf(owner.username), this.devices.listMine(caller, {})]);
    return {
      username: owner.username,
      topicPrefix: userTopicPrefix(owner.username),
      sites: grants.map((grant) => ({ name: grant.site, role: grant.role, topicPrefix: siteTopicPrefix(grant.site) })),
      devices,
    };
  }
}
