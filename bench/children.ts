/**
 * The benchmark's actors, each in a process of its own: the simulator, the in-memory DynamoDB and
 * every sweep, so a sweep's CPU time and peak RSS are its own and the other two never slow the
 * process measured. Loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';

export const PARTNER = { id: 'PA_BENCH0001', token: 'bench-partner-token' };

interface Child {
  process: ChildProcess;
  firstLine: Promise<string>;
}

function start(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  nodeFlags: string[] = [],
): Child {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it said anything`)));
  });
  return { process: child, firstLine };
}

async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

/** The machine's load (1, 5 and 15 minute averages) as a figure is taken: other work shares the cores. */
export function load(): number[] {
  return loadavg().map((x) => Number(x.toFixed(2)));
}

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export interface SimStats {
  total: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  maxInFlight: number;
  rateLimited: number;
}

export interface Sim {
  url: string;
  /** The partner's credentials the simulator was started with. */
  partner: { authId: string; authToken: string };
  control(path: string, body?: unknown, method?: string): Promise<unknown>;
  stats(): Promise<SimStats>;
  resetStats(): Promise<void>;
  setLatency(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSim(
  accounts: number,
  latencyMs: number,
  rateLimit: number | null = null,
  { seed = 42, partner = { authId: PARTNER.id, authToken: PARTNER.token } } = {},
): Promise<Sim> {
  const child = start('sim/main.ts', [
    '--accounts',
    String(accounts),
    '--latency-ms',
    String(latencyMs),
    '--port',
    '0',
    '--seed',
    String(seed),
    '--partner-id',
    partner.authId,
    '--partner-token',
    partner.authToken,
    ...(rateLimit === null ? [] : ['--rate-limit', String(rateLimit)]),
  ]);
  const line = await child.firstLine;
  const url = /https?:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0];
  if (!url) throw new Error(`simulator did not print its URL: ${line}`);
  const control = async (path: string, body?: unknown, method?: string) => {
    const response = await fetch(`${url}/__sim${path}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`simulator control ${path}: ${response.status}`);
    return response.json();
  };
  return {
    url,
    partner,
    control,
    stats: async () => (await control('/stats')) as SimStats,
    resetStats: async () => void (await control('/stats', undefined, 'DELETE')),
    setLatency: async (ms) => void (await control('/latency', { ms })),
    stop: () => stop(child),
  };
}

export interface Store {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startStore(): Promise<Store> {
  const child = start('bench/store-child.ts', []);
  const { endpoint } = JSON.parse(await child.firstLine) as { endpoint: string };
  return { endpoint, stop: () => stop(child) };
}

/** What bench/sweep-child.ts prints: the last run's summary (counts only) and the process's figures. */
export interface SweepResult {
  accountsListed: number;
  known: number;
  balancesFetched: number;
  balanceRequests: number;
  failed: number;
  gone: number;
  unreached: number;
  duplicateReads: number;
  complete: boolean;
  stoppedReason: string | null;
  durationMs: number;
  snapshotsWritten: number;
  stateWrites: number;
  itemsWritten: number;
  maxRssBytes: number;
  cpuRuns: Array<{ userMicros: number; systemMicros: number; balancesFetched: number; durationMs: number }>;
  notifications: number;
  listConfirmations?: number;
  listDisagreements?: number;
  firstFailure: unknown;
}

export interface SweepSpec {
  sim: Sim;
  store: Store;
  table: string;
  concurrency: number;
  /** More sweep flags (--rps, --balance-source, --deadline-seconds...). */
  flags?: string[];
  /** Sweeps run one after another in the one process (bench/sweep-child.ts). */
  runs?: number;
  /** An incomplete sweep is an error unless expected. */
  mayBeIncomplete?: boolean;
  /** Extra environment for the child (BENCH_CPU_PROFILE...). */
  env?: Record<string, string>;
  /** Node's own flags for the child (heap limits). */
  nodeFlags?: string[];
}

/** One sweep process (one or more sweeps in it), with the machine's load at its end. */
export async function sweep(spec: SweepSpec): Promise<SweepResult & { load: number[] }> {
  mkdirSync('bench/out', { recursive: true });
  const child = start(
    'bench/sweep-child.ts',
    [
      '--base-url',
      spec.sim.url,
      '--dynamodb-endpoint',
      spec.store.endpoint,
      '--table',
      spec.table,
      '--concurrency',
      String(spec.concurrency),
      '--alerts-file',
      `bench/out/${spec.table}-alerts.jsonl`,
      ...(spec.flags ?? []),
    ],
    {
      VOBIZ_AUTH_ID: PARTNER.id,
      VOBIZ_AUTH_TOKEN: PARTNER.token,
      BENCH_SWEEP_RUNS: String(spec.runs ?? 1),
      ...spec.env,
    },
    spec.nodeFlags,
  );
  const result = JSON.parse(await child.firstLine) as SweepResult;
  const cpu = result.cpuRuns.at(-1);
  process.stderr.write(
    `bench: ${spec.table}: ${result.balancesFetched} read in ${result.durationMs} ms, ` +
      `${result.itemsWritten} items written, peak RSS ${(result.maxRssBytes / 2 ** 20).toFixed(0)} MiB, ` +
      `CPU ${cpu ? ((cpu.userMicros + cpu.systemMicros) / 1000).toFixed(0) : '?'} ms, load ${load().join(' ')}\n`,
  );
  await new Promise((resolve) =>
    child.process.exitCode === null ? child.process.once('exit', resolve) : resolve(null),
  );
  if (!result.complete && !spec.mayBeIncomplete) {
    throw new Error(`bench sweep incomplete: ${JSON.stringify(result)}`);
  }
  return { ...result, load: load() };
}

/** CPU milliseconds of one run of a sweep process (user + system), per balance read. */
export function cpuPerAccount(run: SweepResult['cpuRuns'][number]): number {
  return (run.userMicros + run.systemMicros) / 1000 / Math.max(1, run.balancesFetched);
}

/** Starts what `use` needs and always stops it, even when a figure throws. */
export async function withActors<T>(
  actors: Array<{ stop(): Promise<void> }>,
  use: () => Promise<T>,
): Promise<T> {
  try {
    return await use();
  } finally {
    for (const actor of actors.reverse()) await actor.stop();
  }
}
