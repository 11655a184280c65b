import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run test:live`: the data-plane scenarios against a real AWS account, never part of `npm test`; see the README. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/live/**/*.live.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 15 * 60_000,
  },
});
