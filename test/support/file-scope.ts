import { afterAll, vi } from 'vitest';

/*
 * Test files share a worker and its module cache (vitest.config.ts: isolate false), so that the SDK
 * and aws-cdk-lib load once per worker rather than once per file. What one file changes for its own
 * sake must not reach the next: the environment is put back as it was, and the project's modules
 * are evaluated afresh (a Lambda entry reads its environment once, when loaded, as in a cold start).
 */
const environment = { ...process.env };

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in environment)) delete process.env[key];
  Object.assign(process.env, environment);
  vi.resetModules();
});
