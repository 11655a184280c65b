import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageDto, PageQueryDto } from '../common/http/pagination.js';
import type { Operation } from '../generated/prisma/client.js';
import type { StepRecord } from './operation.types.js';

const STATUSES = ['RUNNING', 'COMPLETED', 'UNDOING', 'UNDONE', 'FAILED'] as const;

export class ListOperationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: STATUSES, description: 'Only operations in this state', example: 'RUNNING' })
  @IsOptional()
  @IsIn(STATUSES)
  status?: (typeof STATUSES)[number];
}

export class OperationStepDto {
  @ApiProperty({ example: 'createThing' }) name!: string;
  @ApiProperty({ enum: ['started', 'done', 'undone', 'failed'], example: 'done' }) status!: string;
  @ApiPropertyOptional({
    description: 'What AWS returned (ids and ARNs)',
    example: { thingArn: 'arn:aws:iot:eu-west-1:123456789012:thing/iotp_alice_scanner1' },
  })
  output?: Record<string, unknown>;
  @ApiPropertyOptional({ example: { code: 'AWS_THROTTLED', message: 'AWS is throttling requests' } })
  error?: { code: string; message: string };
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' }) at!: string;
}

export class OperationDto {
  @ApiProperty({ format: 'uuid', description: 'Operation id', example: '5b7f0c2e-8d1a-4f7e-9a55-0f3c2d1e4b6a' }) id!: string;
  @ApiProperty({ example: 'register-device' }) kind!: string;
  @ApiProperty({ example: 'device:iotp_alice_scanner1' }) subject!: string;
  @ApiProperty({ enum: STATUSES, example: 'COMPLETED' }) status!: string;
  @ApiProperty({ type: [OperationStepDto] }) steps!: OperationStepDto[];
  @ApiPropertyOptional({ nullable: true, example: null }) error!: { code: string; message: string } | null;
  @ApiProperty({ description: 'When the operation started', example: '2026-11-22T10:00:00.000Z' }) createdAt!: Date;
  @ApiProperty({ description: 'When a step last moved', example: '2026-11-22T10:00:01.200Z' }) updatedAt!: Date;

  static from(operation: Operation): OperationDto {
    return {
      id: operation.id,
      kind: operation.kind,
      subject: operation.subject,
      status: operation.status,
      steps: operation.steps as unknown as StepRecord[],
      error: (operation.error as OperationDto['error']) ?? null,
      createdAt: operation.createdAt,
      updatedAt: operation.updatedAt,
    };
  }
}

export class OperationPageDto extends PageDto {
  @ApiProperty({ type: [OperationDto] }) items!: OperationDto[];
}
