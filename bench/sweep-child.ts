/**
 * One sweep in a process of its own, so its peak RSS and CPU time are the sweep's alone. Prints one
 * JSON line: the summary, the items written, the peak RSS and the CPU time the sweep itself took
 * (process.cpuUsage() around the sweep: user + system, module loading and process start excluded).
 */
import { parseSweepArgs, runSweepWith } from '../functions/cli/commands/sweep.ts';

const args = process.argv.slice(2);
const parsed = parseSweepArgs(args);
const cpuBefore = process.cpuUsage();
const run = await runSweepWith(parsed, {
  stdout: () => {},
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});
const cpu = process.cpuUsage(cpuBefore);
const { notifications, failures, ...summary } = run.summary;
process.stdout.write(
  `${JSON.stringify({
    ...summary,
    notifications: notifications.length,
    firstFailure: failures[0] ?? null,
    itemsWritten: run.itemsWritten,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
  })}\n`,
);
