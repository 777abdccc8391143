/**
 * One sweep in a process of its own, so its peak RSS is the sweep's alone. Prints one JSON
 * line: the summary, the items written and the peak RSS.
 */
import { parseSweepArgs, runSweepWith } from '../functions/cli/commands/sweep.ts';

const args = process.argv.slice(2);
const run = await runSweepWith(parseSweepArgs(args), {
  stdout: () => {},
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});
const { notifications, failures, ...summary } = run.summary;
process.stdout.write(
  `${JSON.stringify({
    ...summary,
    notifications: notifications.length,
    firstFailure: failures[0] ?? null,
    itemsWritten: run.itemsWritten,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
