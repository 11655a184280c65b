import { isDeepStrictEqual } from 'node:util';
import { isDomainError } from '../common/errors/domain-error.js';
import type { IotPort } from './iot.port.js';

/**
 * CreatePolicy that recognises its own earlier success. When an earlier attempt's answer was lost
 * (a timeout after AWS acted, the SDK resending, a process killed mid-call), AWS already holds the
 * policy and answers ResourceAlreadyExistsException. A policy of that name whose default document
 * is the one intended grants exactly what this creation would: it is adopted. Any other document
 * is someone else's (or hand-edited) and the CONFLICT stands. Documents are compared as parsed
 * JSON, since AWS may return them re-serialised.
 */
export async function createOrAdoptPolicy(iot: IotPort, policyName: string, document: string): Promise<{ policyArn: string; adopted: boolean }> {
  try {
    return { ...(await iot.createPolicy(policyName, document)), adopted: false };
  } catch (error) {
    if (!isDomainError(error, 'CONFLICT')) throw error;
    // Gone again since (NOT_FOUND): the conflict stands; AWS failing to answer: that failure is the answer.
    const existing = await iot.getPolicy(policyName).catch((readError: unknown) => {
      if (isDomainError(readError, 'NOT_FOUND')) return undefined;
      throw readError;
    });
    if (existing && sameDocument(existing.document, document)) return { policyArn: existing.policyArn, adopted: true };
    throw error;
  }
}

function sameDocument(held: string, intended: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(held), JSON.parse(intended));
  } catch {
    return false;
  }
}
