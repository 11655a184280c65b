import { Injectable } from '@nestjs/common';
import { validateCsr } from '../certificates/csr.js';
import { DomainError } from '../common/errors/domain-error.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { deviceSubject } from '../operations/subjects.js';
import { DevicesRepository } from './devices.repository.js';
import { IssuedCertificateDto } from './dto/device.dto.js';
import { DeviceOperations } from './operations/device-operations.js';

/** Rotation (a second certificate) and revocation of a device's certificates. */
@Injectable()
export class DeviceCertificatesService {
  constructor(
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
}
