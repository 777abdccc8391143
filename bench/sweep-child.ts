/**
 * Sweeps in a process of their own, so peak RSS and CPU time are the sweep's alone. Runs the sweep
 * BENCH_SWEEP_RUNS times (default 1) in this one process, then prints one JSON line: the last run's
 * summary, its items written, the peak RSS and, per run, the CPU time the sweep itself took
 * (process.cpuUsage() around runSweepWith: user + system of every thread; module loading and
 * process start excluded). A second run shows what a sweep costs once the JIT has warmed up.
 * BENCH_CPU_PROFILE=<file>: one more run after those is profiled (V8's sampling profiler through the
 * inspector, every BENCH_CPU_PROFILE_INTERVAL_US, default 1000) and written as a .cpuprofile that
 * Chrome DevTools or bench/profile-top.ts reads; the profiler's own cost stays out of cpuRuns.
 * A profile's time deltas are wall time between samples: on a loaded machine a descheduled moment is
 * charged to whatever was on the stack, so read its shares, not its milliseconds.
 * BENCH_MEMORY_TRACE=<file>: every 250 ms, the process's memory (RSS, V8's heap and its old and young
 * spaces, external) as one JSON line, written at the end: where a peak of RSS comes from.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { parseSweepArgs, runSweepWith, type SweepRun } from '../functions/cli/commands/sweep.ts';

const parsed = parseSweepArgs(process.argv.slice(2));
const runs = Number(process.env.BENCH_SWEEP_RUNS ?? '1');
const profileFile = process.env.BENCH_CPU_PROFILE;
const cpuRuns: Array<{
  userMicros: number;
  systemMicros: number;
  balancesFetched: number;
  durationMs: number;
}> = [];
let run: SweepRun | undefined;
const traceFile = process.env.BENCH_MEMORY_TRACE;
const trace: string[] = [];
const traceStart = Date.now();
const tracer = traceFile
  ? setInterval(() => trace.push(memoryLine(Date.now() - traceStart)), 250)
  : undefined;
const io = {
  stdout: () => {},
  stderr: (line: string) => process.stderr.write(`${line}\n`),
  env: process.env,
};
for (let i = 0; i < runs; i++) {
  const before = process.cpuUsage();
  run = await runSweepWith(parsed, io);
  const cpu = process.cpuUsage(before);
  cpuRuns.push({
    userMicros: cpu.user,
    systemMicros: cpu.system,
    balancesFetched: run.summary.balancesFetched,
    durationMs: run.summary.durationMs,
  });
}
if (tracer) {
  clearInterval(tracer);
  writeFileSync(traceFile as string, `${trace.join('\n')}\n`);
}
if (profileFile) {
  const profiler = await startProfiler();
  run = await runSweepWith(parsed, io);
  await stopProfiler(profiler, profileFile);
}
if (!run) throw new Error(`BENCH_SWEEP_RUNS must be at least 1, got ${process.env.BENCH_SWEEP_RUNS}`);
const { notifications, failures, ...summary } = run.summary;
process.stdout.write(
  `${JSON.stringify({
    ...summary,
    notifications: notifications.length,
    firstFailure: failures[0] ?? null,
    itemsWritten: run.itemsWritten,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuRuns,
  })}\n`,
);

async function startProfiler(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', {
    interval: Number(process.env.BENCH_CPU_PROFILE_INTERVAL_US ?? 1000),
  });
  await session.post('Profiler.start');
  return session;
}

async function stopProfiler(session: Session, file: string): Promise<void> {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}

function memoryLine(ms: number): string {
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  const spaces = new Map(getHeapSpaceStatistics().map((s) => [s.space_name, mib(s.space_size)]));
  return JSON.stringify({
    ms,
    rss: mib(rss),
    heapTotal: mib(heapTotal),
    heapUsed: mib(heapUsed),
    oldSpace: spaces.get('old_space'),
    newSpace: spaces.get('new_space'),
    external: mib(external),
  });
}
