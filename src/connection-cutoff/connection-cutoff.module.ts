import { Module } from '@nestjs/common';
import { ConnectionCutoff } from './connection-cutoff.js';
import { PendingCutoffsRepository } from './pending-cutoffs.repository.js';

/** One cut-off per process, shared by the operations that take access away and by recovery, which retries what they could not close. */
@Module({
  providers: [PendingCutoffsRepository, ConnectionCutoff],
  exports: [ConnectionCutoff],
})
export class ConnectionCutoffModule {}
