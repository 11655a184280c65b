import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../common/http/pagination.js';
import type { UserRecord, UserWithDeviceCount } from '../users.repository.js';

export class UserDto {
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty({ type: String, nullable: true, example: 'alice@example.com' }) email!: string | null;
  @ApiProperty({ enum: ['ACTIVE', 'DISABLED'], description: 'DISABLED users cannot sign in or get credentials', example: 'ACTIVE' })
  status!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The Cognito identity, known after the first sign-in',
    example: 'eu-west-1:0f0f0f0f-0000-4000-8000-000000000001',
  })
  identityId!: string | null;
  @ApiProperty({ description: "The user's IoT policy", example: 'iotp_alice' }) policyName!: string;
  @ApiProperty({ description: 'Whether the policy is attached to the identity (it is, from the first sign-in until a disable)', example: false })
  policyAttached!: boolean;
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' }) createdAt!: Date;

  static from(user: UserRecord): UserDto {
    return {
      username: user.username,
      email: user.email,
      status: user.status,
      identityId: user.identityId,
      policyName: user.policyName,
      policyAttached: user.policyAttachedAt !== null,
      createdAt: user.createdAt,
    };
  }
}

export class UserDetailDto extends UserDto {
  @ApiProperty({ type: Date, nullable: true, description: 'When the policy was attached to the identity', example: '2026-11-22T10:05:00.000Z' })
  policyAttachedAt!: Date | null;
  @ApiProperty({ description: 'Devices registered to the user', example: 2 }) deviceCount!: number;

  static override from(user: UserWithDeviceCount): UserDetailDto {
    return { ...UserDto.from(user), policyAttachedAt: user.policyAttachedAt, deviceCount: user.deviceCount };
  }
}

export class UserPageDto extends PageDto {
  @ApiProperty({ type: [UserDetailDto] }) items!: UserDetailDto[];
}
