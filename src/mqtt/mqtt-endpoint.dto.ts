import { ApiProperty } from '@nestjs/swagger';

/** The connection facts every `mqtt` block shares; each block adds its client id and topic prefix. */
export class MqttEndpointDto {
  @ApiProperty({
    description: "The MQTT endpoint's host: the account's AWS IoT data endpoint (ATS), or the local broker's host in local mode",
    example: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
  })
  endpoint!: string;
  @ApiProperty({
    description: 'MQTT over WebSocket (SigV4-presigned with the credentials, or custom authorizer); the port is explicit when not 443',
    example: 'wss://a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com/mqtt',
  })
  websocketUrl!: string;
  @ApiProperty({ description: 'MQTT over TLS with a device certificate', example: 'mqtts://a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com:8883' })
  mqttsUrl!: string;
  @ApiProperty({ description: 'Region to sign the WebSocket URL for', example: 'eu-west-1' }) region!: string;
}
