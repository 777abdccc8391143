import { type CommandIO, SWEEP_USAGE, sweepCommand } from '../functions/local/sweep-command.ts';

const USAGE = `Usage: vobiz-balance <command> [options]
Commands:
  sweep   read every customer balance once, store history, raise alerts
  sim     run the local Vobiz Partner API simulator
Run 'vobiz-balance <command> --help' for a command's options.

${SWEEP_USAGE}`;

/** The `vobiz-balance` command line; returns the exit code. */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'sweep':
      return sweepCommand(rest, io);
    case 'sim': {
      const { simCommand } = await import('../sim/main.ts');
      return simCommand(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(
        `vobiz-balance: unknown command ${JSON.stringify(command)} (commands: sweep, sim; see --help)`,
      );
      return 2;
  }
}

export function processIO(): CommandIO {
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await main(process.argv.slice(2));
}
