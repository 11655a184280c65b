import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { AdminOnly } from '../auth/decorators.js';
import { DomainError } from '../common/errors/domain-error.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage } from '../common/http/pagination.js';
import { ListOperationsQueryDto, OperationDto, OperationPageDto } from './operation.dto.js';
import { OperationsRepository, type OperationKey } from './operations.repository.js';

@ApiTags('operations')
@AdminOnly()
@Controller('operations')
export class OperationsController {
  constructor(private readonly operations: OperationsRepository) {}

  @Get()
  @ApiOperation({ summary: 'Provisioning operations, newest first, with each step and what AWS returned' })
  @ApiOkResponse({ type: OperationPageDto })
  async list(@Query() query: ListOperationsQueryDto): Promise<OperationPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.operations.list(query.status, limit, operationCursor(query.cursor));
    const page = toPage(rows, limit, (row) => `${row.createdAt.toISOString()} ${row.id}`);
    return { items: page.items.map(OperationDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One operation' })
  @ApiOkResponse({ type: OperationDto })
  async get(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => DomainError.validation('id must be a UUID', { field: 'id' }) })) id: string,
  ): Promise<OperationDto> {
    const operation = await this.operations.findById(id);
    if (!operation) throw DomainError.notFound('Operation', { id });
    return OperationDto.from(operation);
  }
}

/**
 * Operation cursors are the last row's creation time and id, so a page stays put when retention
 * removes the row itself; any other key was not issued here, and must not reach the query.
 */
function operationCursor(cursor: string | undefined): OperationKey | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const [at, id, ...rest] = key.split(' ');
  const createdAt = new Date(at ?? '');
  if (rest.length > 0 || id === undefined || !isUUID(id) || Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) {
    throw DomainError.validation('cursor is not a cursor this service issued', { field: 'cursor' });
  }
  return { createdAt, id };
}
