/**
 * One of the two processes of the data-dir race test: runs one `vobiz-balance` command line
 * in a loop, through the same `main` the installed entry calls. It prints `ready` once loaded,
 * reads the instant to loop until from stdin (so both processes start together), loops until
 * then and until it has succeeded a given number of times (at most 20 s longer), then prints
 * what each run ended with as one JSON line. A crash (an uncaught exception from the store)
 * ends the process with its stack trace on stderr, which the test reports.
 *
 *   node --import tsx test/support/data-dir-worker.ts <successes> <argv as JSON>
 */
import { once } from 'node:events';
import { main } from '../../functions/cli/main.ts';

const successes = Number(process.argv[2]);
const argv = JSON.parse(process.argv[3] ?? '[]') as string[];

interface Outcome {
  code: number;
  stderr: string;
}

process.stdout.write('ready\n');
const [go] = (await once(process.stdin, 'data')) as [Buffer];
process.stdin.destroy();
const until = Number(go.toString());
const giveUpAt = until + 20_000;

const outcomes: Outcome[] = [];
const succeeded = () => outcomes.filter((o) => o.code === 0).length;
while ((Date.now() < until || succeeded() < successes) && Date.now() < giveUpAt) {
  let stderr = '';
  const code = await main(argv, {
    stdout: () => {},
    stderr: (line) => {
      stderr += `${line}\n`;
    },
    write: () => {},
    env: process.env,
  });
  outcomes.push({ code, stderr });
  // A few milliseconds apart, at random, so the two processes meet at every step of opening.
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 8));
}
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
