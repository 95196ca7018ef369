import { defineConfig } from 'vitest/config';

// `npm run test:mutation` (mutation/run.ts): Stryker runs one decision module's own unit tests only, named in
// PROMOBOT_MUTATION_TESTS. Chosen here rather than with Stryker's `testFiles`, which activates module-level
// (static) mutants after the module has loaded and so reports them as survivors (stryker-js#6144).
const files = (process.env.PROMOBOT_MUTATION_TESTS ?? '').split(',').filter((f) => f !== '');
if (files.length === 0)
  throw new Error('PROMOBOT_MUTATION_TESTS names no test file: run npm run test:mutation');

export default defineConfig({
  test: {
    include: files,
    testTimeout: 30_000,
  },
});
