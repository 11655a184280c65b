import { Module } from '@nestjs/common';
import { PrincipalsRepository } from './principals.repository.js';

/** Shares the read-only principals repository between the dry-run check and the custom authorizer. */
@Module({ providers: [PrincipalsRepository], exports: [PrincipalsRepository] })
export class PrincipalsModule {}
