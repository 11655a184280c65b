import { isDomainError } from './domain-error.js';

/**
 * "Already gone counts as done": the call's result, or `fallback` when it fails with NOT_FOUND
 * (AWS or the database no longer has the resource). Removals and undos are re-runnable through this.
 */
export async function ignoreNotFound<T>(call: Promise<T>): Promise<T | undefined>;
export async function ignoreNotFound<T>(call: Promise<T>, fallback: T): Promise<T>;
export async function ignoreNotFound<T>(call: Promise<T>, fallback?: T): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isDomainError(error, 'NOT_FOUND')) return fallback;
    throw error;
  }
}
