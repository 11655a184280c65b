import { describe, expect, it } from 'vitest';
import { refreshAfterOf } from '../../../src/sessions/refresh-after.js';

const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const MIN = 60_000;

describe('refreshAfterOf', () => {
  it.each([
    ['one hour left: 5 minutes before expiry', 60, 55],
    ['20 minutes left: 5 minutes before expiry', 20, 15],
    ['10 minutes left: halfway', 10, 5],
    ['4 minutes left: halfway, never in the past', 4, 2],
  ])('%s', (_, minutesLeft, expectedMinutes) => {
    const refreshAfter = refreshAfterOf(new Date(NOW + minutesLeft * MIN), NOW);
    expect(refreshAfter.getTime()).toBe(NOW + expectedMinutes * MIN);
  });
});
