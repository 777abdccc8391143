/**
 * `npm run bench:lambda`: what memory size the sweep function needs, measured. For each partner
 * size and each memory size, the Lambda entry runs in a process of its own with the heap limits
 * Lambda's Node.js bootstrap gives that memory size (old space 90% of it, semi-space 5%), against
 * the simulator and dynalite in processes of their own, on loopback only: a first sweep and a
 * repeat. It reports wall time, CPU time, peak RSS, and what that means on Lambda, where a
 * function gets CPU in proportion to its memory (1,769 MB = one vCPU): the share of that CPU the
 * sweep keeps busy at the API latency given, and the GB-seconds a month at a 15-minute period.
 *
 *   npx tsx bench/lambda-size.ts [--accounts 1000,10000] [--memory 256,512] [--latency-ms 50]
 *                                [--api-latency-ms 200] [--concurrency 8]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ensureTable } from '../functions/adapters/dynamodb/table.ts';
import { localDynamoClient } from '../functions/adapters/local/embedded-dynamo.ts';
import { ENV } from '../functions/contract/handler.ts';
import { lambdaHeapFlags } from './lambda-heap.ts';

const PARTNER = { id: 'PA_BENCH0001', token: 'bench-partner-token' };
/** Lambda's CPU allocation: one full vCPU at this many MB, proportionally below. */
const MB_PER_VCPU = 1769;
const SWEEPS_PER_MONTH = (730 * 60) / 15;

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1000,10000' },
    memory: { type: 'string', default: '256,512' },
    'latency-ms': { type: 'string', default: '50' },
    'api-latency-ms': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
  },
});
const numbers = (s: string) => s.split(',').map(Number);
const latencyMs = Number(values['latency-ms']);
const apiLatencyMs = Number(values['api-latency-ms']);
const concurrency = Number(values.concurrency);

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const line = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  // The handler process says nothing on stdout: only the others' first line is awaited.
  line.catch(() => {});
  return { child, line };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface ChildResult {
  init: { wallMs: number; cpuMs: number };
  runs: { wallMs: number; cpuMs: number; balancesFetched: number; complete: boolean; heapUsedMiB: number }[];
  maxRssMiB: number;
  heapLimitMiB: number;
}

async function measure(accounts: number, memoryMb: number): Promise<ChildResult> {
  const sim = start([
    '--import',
    'tsx',
    'sim/main.ts',
    '--accounts',
    String(accounts),
    '--latency-ms',
    String(latencyMs),
    '--port',
    '0',
    '--seed',
    '42',
    '--partner-id',
    PARTNER.id,
    '--partner-token',
    PARTNER.token,
  ]);
  const store = start(['--import', 'tsx', 'bench/store-child.ts']);
  const dir = mkdtempSync(join(tmpdir(), 'vobiz-lambda-size-'));
  try {
    const simUrl = /https?:\/\/127\.0\.0\.1:\d+/.exec(await sim.line)?.[0];
    const { endpoint } = JSON.parse(await store.line) as { endpoint: string };
    if (!simUrl) throw new Error('the simulator did not print its URL');
    const table = `size-${accounts}-${memoryMb}`;
    const client = localDynamoClient(endpoint);
    await ensureTable(client, table);
    client.destroy();
    const resultFile = join(dir, 'result.json');
    const handler = start([...lambdaHeapFlags(memoryMb), '--import', 'tsx', 'bench/handler-child.ts'], {
      AWS_REGION: 'ap-south-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      BENCH_RESULT_FILE: resultFile,
      BENCH_PARTNER_ID: PARTNER.id,
      BENCH_PARTNER_TOKEN: PARTNER.token,
      [ENV.tableName]: table,
      [ENV.secretId]: 'bench/partner',
      [ENV.alertTopicArn]: 'arn:aws:sns:ap-south-1:123456789012:bench',
      [ENV.apiBaseUrl]: simUrl,
      [ENV.sweepConfig]: JSON.stringify({ concurrency }),
      [ENV.partnerThreshold]: '',
      [ENV.digestSize]: '10',
      [ENV.schedulePeriodMinutes]: '15',
    });
    const code = await new Promise<number | null>((resolve) => handler.child.once('exit', resolve));
    if (code !== 0) throw new Error(`the handler process exited with ${code} at ${memoryMb} MB`);
    return JSON.parse(readFileSync(resultFile, 'utf8')) as ChildResult;
  } finally {
    await stop(sim.child);
    await stop(store.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const report = [];
for (const accounts of numbers(values.accounts)) {
  for (const memoryMb of numbers(values.memory)) {
    process.stderr.write(`lambda-size: ${accounts} accounts at ${memoryMb} MB...\n`);
    const result = await measure(accounts, memoryMb);
    const repeat = result.runs.at(-1);
    if (!repeat) throw new Error('no run');
    const vcpu = memoryMb / MB_PER_VCPU;
    // At the real API's latency the sweep waits on the network: accounts / concurrency round trips.
    const ioWallS = (accounts * apiLatencyMs) / concurrency / 1000;
    const cpuS = repeat.cpuMs / 1000;
    // Throttled to its share, the CPU work alone takes cpuS / vcpu; the sweep takes the longer of the two.
    const lambdaWallS = Math.max(ioWallS, cpuS / vcpu);
    report.push({
      accounts,
      memoryMb,
      heapLimitMiB: result.heapLimitMiB,
      peakRssMiB: result.maxRssMiB,
      init: result.init,
      firstSweep: result.runs[0],
      repeatSweep: repeat,
      cpuMsPerAccount: round(repeat.cpuMs / accounts, 3),
      onLambda: {
        vcpu: round(vcpu, 3),
        apiLatencyMs,
        concurrency,
        ioBoundWallS: round(ioWallS, 1),
        cpuBoundWallS: round(cpuS / vcpu, 1),
        cpuShareBusy: round(cpuS / vcpu / ioWallS, 3),
        estimatedWallS: round(lambdaWallS, 1),
        gbSecondsPerMonth: Math.round((memoryMb / 1024) * lambdaWallS * SWEEPS_PER_MONTH),
      },
    });
  }
}
process.stdout.write(`${JSON.stringify({ latencyMs, apiLatencyMs, concurrency, report }, null, 2)}\n`);
