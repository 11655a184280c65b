import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { NAME_PATTERN, NAME_RULE } from '../../policy/names.js';

export class CreateUserDto {
  @ApiProperty({
    description: `The Cognito username, also the MQTT client id and topic prefix: ${NAME_RULE}`,
    example: 'alice',
    pattern: NAME_PATTERN.source,
  })
  @IsString()
  @Matches(NAME_PATTERN, { message: `username must be ${NAME_RULE}` })
  username!: string;

  @ApiPropertyOptional({ description: 'Stored in Cognito as a verified email; where an invitation goes', example: 'alice@example.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({
    description:
      "The first password; the user must replace it at first sign-in (NEW_PASSWORD_REQUIRED). Cognito's password policy applies. " +
      'Without it Cognito generates one, which only an invitation (sendInvite) tells the user.',
    example: 'Temp-Passw0rd!',
    format: 'password',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  temporaryPassword?: string;

  @ApiPropertyOptional({
    description: 'Let Cognito email an invitation (needs email); otherwise the invitation is suppressed',
    default: false,
    example: false,
  })
  @IsOptional()
  @IsBoolean()
  sendInvite?: boolean;
}
