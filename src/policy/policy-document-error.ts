/**
 * A policy document the service generated (or was handed by code) is malformed or too large.
 * This is a programming error, not a user-input problem, so it is a plain Error rather than a
 * DomainError: the global filter turns it into a 500 and the bug gets fixed.
 */
export class PolicyDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyDocumentError';
  }
}
