import { readFileSync } from 'node:fs';
import { type Command, optionLine } from './command.ts';
import { archive } from './commands/archive.ts';
import { audit } from './commands/audit.ts';
import { closing } from './commands/closing.ts';
import { history } from './commands/history.ts';
import { mute } from './commands/mute.ts';
import { report } from './commands/report.ts';
import { sim } from './commands/sim.ts';
import { statement } from './commands/statement.ts';
import { sweep } from './commands/sweep.ts';
import { thresholds } from './commands/thresholds.ts';
import { unmute } from './commands/unmute.ts';
import { type CliIO, processIO } from './io.ts';

/** The registry: a new command is a file under commands/ and a line here. */
export const COMMANDS: readonly Command[] = [
  sweep,
  history,
  closing,
  statement,
  thresholds,
  mute,
  unmute,
  audit,
  report,
  archive,
  sim,
];

const ROOT_OPTIONS = {
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', short: 'V', help: 'the version' },
} as const;

export function rootUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'Usage: vobiz-balance <command> [options]',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    'Options:',
    ...Object.entries(ROOT_OPTIONS).map(([name, spec]) => optionLine(name, spec)),
    'The commands that use the table take --data-dir <dir>, --dynamodb-endpoint <url> --table <name>,',
    "or --table <name> alone. Run `vobiz-balance <command> --help` for a command's options.",
  ].join('\n');
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The `vobiz-balance` command line; returns the exit status. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
      io.stderr(rootUsage());
      return 2;
    case '--help':
    case '-h':
    case 'help': {
      const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      if (topic) return topic.run(['--help'], io);
      io.stdout(rootUsage());
      return 0;
    }
    case '--version':
    case '-V':
      io.stdout(`vobiz-balance ${version()}`);
      return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const what = name.startsWith('-') ? 'option' : 'command';
    io.stderr(
      `vobiz-balance: unknown ${what} ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see --help)`,
    );
    return 2;
  }
  return command.run(rest, io);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await main(process.argv.slice(2));
}
