import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageDto } from '../../common/http/pagination.js';
import { MqttEndpointDto } from '../../mqtt/mqtt-endpoint.dto.js';
import type { MqttEndpoint } from '../../mqtt/mqtt-connection.js';
import { deviceClientId } from '../../policy/names.js';
import { ownedDeviceTopics } from '../device-owner.js';
import type { CertificateRecord, DeviceRecord } from '../devices.repository.js';

const EXAMPLE_CERTIFICATE_ID = '4f1c0e6a2b9d8c7e5f3a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e';
const EXAMPLE_THING = 'iotp_alice_scanner-1';
const PRIVATE_KEY_DESCRIPTION =
  'Only when no CSR was sent: the PEM private key AWS generated. It is in this response only: never stored, never logged, and no later request returns it.';

export class CertificateDto {
  @ApiProperty({ description: 'AWS IoT certificate id', example: EXAMPLE_CERTIFICATE_ID }) certificateId!: string;
  @ApiProperty({ example: `arn:aws:iot:eu-west-1:123456789012:cert/${EXAMPLE_CERTIFICATE_ID}` }) certificateArn!: string;
  @ApiProperty({ description: 'The X.509 certificate in PEM', example: '-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n' })
  certificatePem!: string;
  @ApiProperty({ description: 'Expiry, read from the certificate', example: '2049-12-31T23:59:59.000Z' }) notAfter!: Date;
  @ApiProperty({ enum: ['ACTIVE', 'INACTIVE', 'REVOKED'], example: 'ACTIVE' }) status!: string;

  static from(certificate: CertificateRecord): CertificateDto {
    const { certificateId, certificateArn, certificatePem, notAfter, status } = certificate;
    return { certificateId, certificateArn, certificatePem, notAfter, status };
  }
}

export class IssuedCertificateDto extends CertificateDto {
  @ApiPropertyOptional({ description: PRIVATE_KEY_DESCRIPTION, example: '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n' })
  privateKey?: string;

  static issued(certificate: CertificateRecord, privateKey: string | undefined): IssuedCertificateDto {
    return { ...CertificateDto.from(certificate), ...(privateKey === undefined ? {} : { privateKey }) };
  }
}

export class MqttSettingsDto extends MqttEndpointDto {
  @ApiProperty({ description: 'The only client id the device may connect with: its thing name', example: EXAMPLE_THING }) clientId!: string;
  @ApiProperty({
    description:
      "A user's device may publish, receive and subscribe only under this prefix. A site's device (`_sites/<site>/<device>/`) " +
      "only publishes here; the site's members receive it.",
    example: 'alice/scanner-1/',
  })
  topicPrefix!: string;
  @ApiPropertyOptional({
    description:
      "Only for a site's device: where it hears commands (subscribe to `<commandsPrefix>#`); the site's operators publish there. " +
      'It receives nothing else.',
    example: '_sites/warehouse/_cmd/scanner-1/',
  })
  commandsPrefix?: string;
}

/** The fields every view of a device shares. */
class DeviceBaseDto {
  @ApiProperty({ example: 'scanner-1' }) name!: string;
  @ApiProperty({ description: "Username of the owner; for a site's device, the site's name", example: 'alice' }) owner!: string;
  @ApiPropertyOptional({ description: "Only for a site's device: the site it belongs to", example: 'warehouse' }) site?: string;
  @ApiProperty({ example: EXAMPLE_THING }) thingName!: string;
  @ApiProperty({ example: `arn:aws:iot:eu-west-1:123456789012:thing/${EXAMPLE_THING}` }) thingArn!: string;
  @ApiProperty({ description: "The thing's attributes", example: { owner: 'alice', device: 'scanner-1', site: 'lab-3' } })
  attributes!: Record<string, string>;
  @ApiProperty({ type: MqttSettingsDto }) mqtt!: MqttSettingsDto;
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' }) createdAt!: Date;
}

export class DeviceDto extends DeviceBaseDto {
  @ApiProperty({ type: [CertificateDto], description: 'Oldest first; two while a rotation is under way' })
  certificates!: CertificateDto[];

  static from(device: DeviceRecord, endpoint: MqttEndpoint): DeviceDto {
    return { ...baseOf(device, endpoint), certificates: device.certificates.map(CertificateDto.from) };
  }
}

export class RegisteredDeviceDto extends DeviceBaseDto {
  @ApiProperty({ type: CertificateDto }) certificate!: CertificateDto;
  @ApiPropertyOptional({ description: PRIVATE_KEY_DESCRIPTION, example: '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n' })
  privateKey?: string;

  static from(device: DeviceRecord, endpoint: MqttEndpoint, privateKey: string | undefined): RegisteredDeviceDto {
    return {
      ...baseOf(device, endpoint),
      certificate: CertificateDto.from(device.certificates[0]!),
      ...(privateKey === undefined ? {} : { privateKey }),
    };
  }
}

export class DevicePageDto extends PageDto {
  @ApiProperty({ type: [DeviceDto] }) items!: DeviceDto[];
}

function baseOf(device: DeviceRecord, endpoint: MqttEndpoint): DeviceBaseDto {
  const owner = { kind: device.ownerKind, name: device.owner };
  return {
    name: device.name,
    owner: device.owner,
    ...(owner.kind === 'site' ? { site: owner.name } : {}),
    thingName: device.thingName,
    thingArn: device.thingArn,
    attributes: device.attributes as Record<string, string>,
    mqtt: { ...endpoint, clientId: deviceClientId(device.thingName), ...ownedDeviceTopics(owner, device.name) },
    createdAt: device.createdAt,
  };
}
