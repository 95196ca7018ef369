import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: faults injected into real processes (promobot, redis-server, git, Prometheus). Each file
// runs alone: the scenarios kill and restart processes and need both cores to themselves.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
