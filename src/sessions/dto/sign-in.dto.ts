import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

/** Usernames are checked by Cognito, not against this service's name rule: an unknown name must look like a wrong password. */
export class SignInDto {
  @ApiProperty({ description: 'The Cognito username', example: 'alice', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  username!: string;

  @ApiProperty({ description: 'The password', example: 'Passw0rd!', format: 'password', writeOnly: true })
  @IsString()
  @Length(1, 256)
  password!: string;
}

export class ChallengeAnswerDto {
  @ApiProperty({ description: 'The Cognito username', example: 'alice', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  username!: string;

  @ApiProperty({ description: 'The session of the NEW_PASSWORD_REQUIRED answer', example: 'AYABeJ...' })
  @IsString()
  @Length(1, 8192)
  session!: string;

  @ApiProperty({ description: "The new password; Cognito's password policy applies", example: 'N3w-Passw0rd!', format: 'password', writeOnly: true })
  @IsString()
  @Length(1, 256)
  newPassword!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The Cognito username', example: 'alice', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  username!: string;

  @ApiProperty({ description: 'The refresh token from the sign-in', example: 'eyJjdHkiOiJKV1QiLCJlbmMiOi...' })
  @IsString()
  @Length(1, 8192)
  refreshToken!: string;
}
