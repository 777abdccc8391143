import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Threads: a worker thread per test file starts and loads its modules for less CPU than a child
    // process (measured: about 15% of the suite's CPU time). Two cores on the CI machine: more
    // workers only thrash.
    pool: 'threads',
    isolate: false,
    setupFiles: ['test/support/file-scope.ts'],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
