import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { MqttServerCa } from '../aws/mqtt-server-ca.js';

@ApiTags('mqtt')
@Controller('mqtt')
export class MqttController {
  constructor(private readonly ca: MqttServerCa) {}

  @Get('ca')
  @Header('content-type', 'application/x-pem-file')
  @Header('cache-control', 'public, max-age=3600')
  @ApiOperation({
    summary: 'The CA certificate MQTT clients must trust for the endpoint in `mqtt` blocks',
    description: 'Amazon Root CA 1 against AWS IoT Core; the sandbox CA in local mode. No authentication: it is public.',
  })
  @ApiProduces('application/x-pem-file')
  @ApiOkResponse({
    description: 'PEM certificate',
    schema: { type: 'string', example: '-----BEGIN CERTIFICATE-----\nMIID...\n-----END CERTIFICATE-----\n' },
  })
  serverCa(): string {
    return this.ca.pem();
  }
}
