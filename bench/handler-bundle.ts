/**
 * The Lambda bundle as the stack builds it (lib/sweep-function.ts: minified ESM, SDK bundled,
 * the createRequire banner), measured for size and for module init time in a fresh process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ENV, SWEEP_HANDLER } from '../functions/contract/handler.ts';

const OUT = 'bench/out/sweep-balances.mjs';
const INIT_RUNS = 7;

export async function handlerBundle() {
  mkdirSync('bench/out', { recursive: true });
  await build({
    entryPoints: [SWEEP_HANDLER.entry],
    outfile: OUT,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'error',
  });
  const bytes = statSync(OUT).size;
  const gzipped = gzipSync(readFileSync(OUT)).length;
  // A valid environment, so the import runs the whole cold start: env check, clients, adapters.
  const env = {
    ...process.env,
    AWS_REGION: 'ap-south-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    [ENV.tableName]: 'bench',
    [ENV.secretId]: 'bench/secret',
    [ENV.alertTopicArn]: 'arn:aws:sns:ap-south-1:123456789012:bench',
    [ENV.apiBaseUrl]: 'http://127.0.0.1:9',
    [ENV.sweepConfig]: '{}',
    [ENV.schedulePeriodMinutes]: '15',
  };
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(`./${OUT}`)}); if (typeof m.${SWEEP_HANDLER.export} !== 'function') process.exit(3); process.stdout.write(String(performance.now() - t));`;
  const samples = Array.from({ length: INIT_RUNS }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })),
  ).sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? 0;
  return {
    bundle: {
      bytes,
      kib: Number((bytes / 1024).toFixed(1)),
      gzipKib: Number((gzipped / 1024).toFixed(1)),
      initMsMedian: Number(median.toFixed(1)),
      initMsRuns: samples.map((s) => Number(s.toFixed(1))),
      note: `module init measured on this machine's ${process.version}; Lambda runs Node 24 on arm64`,
    },
  };
}
