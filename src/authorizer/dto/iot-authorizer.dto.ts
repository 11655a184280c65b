/**
 * The custom authorizer's request and response as AWS IoT defines them. The request DTO documents
 * the shape for Swagger only: the route takes the body untyped, because AWS may send fields we do
 * not model and a malformed request must be answered `{ isAuthenticated: false }` with 200, not
 * 400. The core validates what it reads, by hand. `@Allow()` marks every property as whitelisted
 * should the class ever be used for validation.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsOptional, IsString, Length } from 'class-validator';
import type { PolicyDocument } from '../../policy/documents.js';

export class IotAuthorizerMqttDataDto {
  @ApiPropertyOptional({
    description: 'MQTT CONNECT user name; may carry ?x-amz-customauthorizer-name=...',
    example: 'alice?x-amz-customauthorizer-name=iotp-authorizer',
  })
  @Allow()
  username?: string;

  @ApiPropertyOptional({ description: 'MQTT CONNECT password, base64-encoded by AWS: here, the Cognito token', example: 'ZXlKcmFXUWlPaUo...' })
  @Allow()
  password?: string;

  @ApiPropertyOptional({ description: 'MQTT client id, when the client sent one', example: 'alice.tablet' })
  @Allow()
  clientId?: string;
}

export class IotAuthorizerHttpDataDto {
  @ApiPropertyOptional({
    description: 'Headers of the HTTP request (the WebSocket upgrade)',
    example: { 'x-amz-customauthorizer-name': 'iotp-authorizer', 'iot-token': 'eyJraWQiOi...' },
  })
  @Allow()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Query string of the HTTP request', example: '?x-amz-customauthorizer-name=iotp-authorizer' })
  @Allow()
  queryString?: string;
}

export class IotAuthorizerTlsDataDto {
  @ApiPropertyOptional({ description: 'TLS server name indication', example: 'abc123-ats.iot.eu-west-1.amazonaws.com' })
  @Allow()
  serverName?: string;
}

export class IotAuthorizerProtocolDataDto {
  @ApiPropertyOptional({ type: IotAuthorizerTlsDataDto, description: 'TLS details' })
  @Allow()
  tls?: IotAuthorizerTlsDataDto;

  @ApiPropertyOptional({ type: IotAuthorizerHttpDataDto, description: 'HTTP details (HTTP publish, MQTT over WebSocket)' })
  @Allow()
  http?: IotAuthorizerHttpDataDto;

  @ApiPropertyOptional({ type: IotAuthorizerMqttDataDto, description: 'MQTT CONNECT details' })
  @Allow()
  mqtt?: IotAuthorizerMqttDataDto;
}

export class IotAuthorizerConnectionDto {
  @ApiPropertyOptional({ description: 'Connection id, for logs', example: 'e3e2c6a0-7c1b-4f3e-9b1e-2f6c0a1d4b5c' })
  @Allow()
  id?: string;
}

export class IotAuthorizerRequestDto {
  @ApiPropertyOptional({
    description: "The token AWS extracted with the authorizer's token key name: a Cognito ID or access token",
    example: 'eyJraWQiOi...',
  })
  @Allow()
  token?: string;

  @ApiPropertyOptional({ description: 'Whether AWS verified the token signature (signing-enabled authorizers)', example: false })
  @Allow()
  signatureVerified?: boolean;

  @ApiPropertyOptional({ description: 'Protocols of the connection', example: ['tls', 'http', 'mqtt'], type: [String] })
  @Allow()
  protocols?: string[];

  @ApiPropertyOptional({ type: IotAuthorizerProtocolDataDto, description: 'Per-protocol connection data' })
  @Allow()
  protocolData?: IotAuthorizerProtocolDataDto;

  @ApiPropertyOptional({ type: IotAuthorizerConnectionDto, description: 'Connection metadata' })
  @Allow()
  connectionMetadata?: IotAuthorizerConnectionDto;
}

export class IotAuthorizerResponseDto {
  @ApiProperty({ description: 'False for any invalid, expired or unknown token, and for disabled users', example: true })
  isAuthenticated!: boolean;

  @ApiPropertyOptional({ description: 'The Cognito sub without hyphens (1-128 alphanumerics)', example: '3f1c2a7e9b8d4c6fa1e2d3c4b5a69788' })
  principalId?: string;

  @ApiPropertyOptional({ description: "The token's remaining life, clamped to 300..86400", example: 3600 })
  disconnectAfterInSeconds?: number;

  @ApiPropertyOptional({ description: 'How often AWS re-invokes the authorizer on a live connection (300..86400)', example: 300 })
  refreshAfterInSeconds?: number;

  @ApiPropertyOptional({
    description:
      "The user's IoT policy documents as JSON objects, the form AWS's custom authorizer Lambda returns (at most 10, each at most 2048 characters)",
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['iot:Connect'], Resource: ['arn:aws:iot:eu-west-1:123456789012:client/alice'] }],
      },
    ],
  })
  policyDocuments?: PolicyDocument[];
}

export class AuthorizerUserStatusQueryDto {
  @ApiPropertyOptional({
    description: "The token's Cognito sub; when given, the user is active only if it was created for that sub",
    example: '3f1c2a7e-9b8d-4c6f-a1e2-d3c4b5a69788',
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  sub?: string;
}

export class AuthorizerUserStatusDto {
  @ApiProperty({ description: 'The username asked about', example: 'alice' })
  username!: string;

  @ApiProperty({ description: 'True when this service provisioned the user and has not disabled it', example: true })
  active!: boolean;

  @ApiPropertyOptional({
    description:
      "An active user's IoT policy documents, compiled from their own grant and their sites: what POST /v1/authorizer/iot returns " +
      'as policyDocuments (the Lambda returns them in turn). Absent when the user is not active',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  policyDocuments?: PolicyDocument[];
}
