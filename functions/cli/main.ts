import { closingCommand, historyCommand, statementCommand } from './commands/history.ts';
import { reportCommand } from './commands/report.ts';
import { type CommandIO, SWEEP_USAGE, sweepCommand } from './commands/sweep.ts';
import { auditCommand, muteCommand, thresholdsCommand, unmuteCommand } from './commands/thresholds.ts';
import type { FinanceIO } from './finance-io.ts';

const COMMANDS = 'sweep, history, closing, statement, thresholds, mute, unmute, audit, report, sim';

const USAGE = `Usage: vobiz-balance <command> [options]
Commands:
  sweep                                   read every customer balance once, store history, raise alerts
  history <auth_id> [--from] [--to]       an account's balance snapshots, newest first
  closing [--date YYYY-MM-DD]             every account's closing balance of a partner-local day
  statement --month YYYY-MM [--account]   per account: opening, top-ups, spend, closing, and the check
  thresholds set|unset|default|list       thresholds kept in the table, used by the next sweep
  mute <auth_id> --until --reason         hold back an account's notifications until a time
  unmute <auth_id>                        end a mute now
  audit                                   changes to thresholds, defaults and mutes, newest first
  report --out <file.html> [--days 30]    one self-contained HTML page: charts, totals, every account
  sim                                     run the local Vobiz Partner API simulator
Every command takes --data-dir <dir>, --dynamodb-endpoint <url> --table <name>, or --table <name> alone.
Run 'vobiz-balance <command> --help' for a command's options.

${SWEEP_USAGE}`;

/** The `vobiz-balance` command line; returns the exit code. */
export async function main(argv: string[], io: FinanceIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'sweep':
      return sweepCommand(rest, io);
    case 'history':
      return historyCommand(rest, io);
    case 'closing':
      return closingCommand(rest, io);
    case 'statement':
      return statementCommand(rest, io);
    case 'thresholds':
      return thresholdsCommand(rest, io);
    case 'mute':
      return muteCommand(rest, io);
    case 'unmute':
      return unmuteCommand(rest, io);
    case 'audit':
      return auditCommand(rest, io);
    case 'report':
      return reportCommand(rest, io);
    case 'sim': {
      const { simCommand } = await import('../../sim/main.ts');
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
        `vobiz-balance: unknown command ${JSON.stringify(command)} (commands: ${COMMANDS}; see --help)`,
      );
      return 2;
  }
}

export function processIO(): FinanceIO & CommandIO {
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    write: (chunk) => process.stdout.write(chunk),
    env: process.env,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await main(process.argv.slice(2));
}
