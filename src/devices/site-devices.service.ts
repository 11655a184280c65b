import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { PageQueryDto } from '../common/http/pagination.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { siteThingName } from '../policy/names.js';
import { DeviceCertificatesService } from './device-certificates.service.js';
import { DevicesRepository, type DeviceSite } from './devices.repository.js';
import { DevicesService, type RegisteringOwner } from './devices.service.js';
import type { CreateSiteDeviceDto } from './dto/device-requests.dto.js';
import type { DeviceDto, DevicePageDto, IssuedCertificateDto, RegisteredDeviceDto } from './dto/device.dto.js';
import { SiteDeviceCleanup } from './site-device-cleanup.js';

function siteOwner(site: DeviceSite): RegisteringOwner {
  return { kind: 'site', id: site.id, name: site.name, deletionStartedAt: site.deletionStartedAt };
}

/**
 * A site's devices, addressed by site and device name: the same registration, certificates and
 * deletion as a user's devices (DevicesService, DeviceCertificatesService), with the site as owner.
 * Deleting a site deletes its devices through here.
 */
@Injectable()
export class SiteDevicesService extends SiteDeviceCleanup {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: DevicesRepository,
    private readonly devices: DevicesService,
    private readonly certificates: DeviceCertificatesService,
  ) {
    super();
  }

  async register(site: string, input: CreateSiteDeviceDto): Promise<RegisteredDeviceDto> {
    // As for a user's device: a bad CSR or an unknown site costs AWS nothing.
    await this.devices.assertCsrUsable(input.csr);
    return this.devices.registerFor(siteOwner(await this.siteOf(site)), input);
  }

  async list(site: string, query: PageQueryDto): Promise<DevicePageDto> {
    return this.devices.page(siteOwner(await this.siteOf(site)), query);
  }

  async get(site: string, name: string): Promise<DeviceDto> {
    return this.devices.get(await this.thingOf(site, name));
  }

  async delete(site: string, name: string): Promise<void> {
    await this.devices.delete(await this.thingOf(site, name));
  }

  async issueCertificate(site: string, name: string, csr: string | undefined): Promise<IssuedCertificateDto> {
    return this.certificates.issue(await this.thingOf(site, name), csr);
  }

  async revokeCertificate(site: string, name: string, certificateId: string, force: boolean): Promise<void> {
    await this.certificates.revoke(await this.thingOf(site, name), certificateId, force);
  }

  deleteSiteDevices(site: { id: string; name: string }): Promise<void> {
    return this.devices.deleteAllOf({ kind: 'site', id: site.id });
  }

  private async siteOf(name: string): Promise<DeviceSite> {
    const site = await this.repository.findSite(name);
    if (!site) throw DomainError.notFound('Site', { site: name });
    return site;
  }

  /** The thing name of one of the site's devices; an unknown site is NOT_FOUND before the device is looked for. */
  private async thingOf(site: string, name: string): Promise<string> {
    await this.siteOf(site);
    return siteThingName(this.config.resourcePrefix, site, name);
  }
}
