import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MqttEndpointDto } from '../../mqtt/mqtt-endpoint.dto.js';

export class TokensDto {
  @ApiProperty({ description: 'Cognito ID token (send as Authorization: Bearer)', example: 'eyJraWQiOi...' }) idToken!: string;
  @ApiProperty({ description: 'Cognito access token', example: 'eyJraWQiOi...' }) accessToken!: string;
  @ApiPropertyOptional({ description: 'Only from a password sign-in; a refresh keeps the one the app has', example: 'eyJjdHkiOi...' })
  refreshToken?: string;
  @ApiProperty({ description: 'Seconds the ID and access tokens stay valid', example: 3600 }) expiresIn!: number;
}

export class AwsCredentialsDto {
  @ApiProperty({ example: 'ASIAEXAMPLE123456789' }) accessKeyId!: string;
  @ApiProperty({ example: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }) secretAccessKey!: string;
  @ApiProperty({ example: 'IQoJb3JpZ2luX2VjE...' }) sessionToken!: string;
  @ApiProperty({ description: 'When the credentials expire (AWS: one hour)', example: '2026-11-22T11:00:00.000Z' }) expiration!: Date;
  @ApiProperty({
    description:
      'When to fetch new credentials (POST /v1/sessions/refresh or GET /v1/sessions/credentials) and reconnect with a newly signed URL: ' +
      '5 minutes before expiration, but never earlier than halfway between now and expiration',
    example: '2026-11-22T10:55:00.000Z',
  })
  refreshAfter!: Date;
}

export class MqttDto extends MqttEndpointDto {
  @ApiProperty({ description: 'Connect with this client id; for several connections use <clientId>.<suffix>', example: 'alice' })
  clientId!: string;
  @ApiProperty({ description: 'Publish and subscribe under this prefix only', example: 'alice/' }) topicPrefix!: string;
}

export class CredentialsResponseDto {
  @ApiProperty({ description: "The user's Cognito identity", example: 'eu-west-1:0f0f0f0f-0000-4000-8000-000000000001' })
  identityId!: string;
  @ApiProperty({ type: AwsCredentialsDto }) credentials!: AwsCredentialsDto;
  @ApiProperty({ type: MqttDto }) mqtt!: MqttDto;
}

export class SessionDto extends CredentialsResponseDto {
  @ApiProperty({ type: TokensDto }) tokens!: TokensDto;
}

export class NewPasswordChallengeDto {
  @ApiProperty({ enum: ['NEW_PASSWORD_REQUIRED'], description: 'Answer with POST /v1/sessions/challenge', example: 'NEW_PASSWORD_REQUIRED' })
  challenge!: 'NEW_PASSWORD_REQUIRED';
  @ApiProperty({ description: 'Pass back with the new password (valid three minutes)', example: 'AYABeJ...' }) session!: string;
}
