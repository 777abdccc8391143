import { AsyncLocalStorage } from 'node:async_hooks';
import { FatalError, oneLine } from '../core/errors.ts';
import {
  HELP_OPTION,
  noExtraPositionals,
  type OptionSpec,
  type OptionSpecs,
  parseCommandLine,
  type Values,
} from './args.ts';
import type { CliIO } from './io.ts';

/**
 * A command of `vobiz-balance`: declared once, with its options and their help, and run
 * through one frame that parses the command line, answers --help, and turns every failure
 * into one stderr line and exit status 2. Dispatch and the root usage come from the registry
 * in main.ts.
 */

export interface CommandSpec<O extends OptionSpecs> {
  name: string;
  /** One line for the root usage. */
  summary: string;
  /** What follows `vobiz-balance ` in the usage line. */
  usage: string;
  /** Lines under the usage line in the command's --help. */
  description?: string;
  options: O;
  /** Positional arguments taken at most (default none). */
  maxPositionals?: number;
  run(input: RunInput<O>): Promise<number>;
}

export interface RunInput<O extends OptionSpecs> {
  values: Values<O>;
  positionals: string[];
  /** The arguments as given, for a command that hands them on (sim). */
  argv: readonly string[];
  io: CliIO;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly description?: string;
  readonly options: OptionSpecs;
  /** Runs the command on its arguments (after the command name); returns the exit status. */
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): Command {
  const options = { ...spec.options, ...HELP_OPTION };
  const command: Command = {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    options,
    async run(argv, io) {
      try {
        const { values, positionals } = parseCommandLine(argv, options);
        if (values.help) {
          io.stdout(commandHelp(command));
          return 0;
        }
        noExtraPositionals(positionals, spec.maxPositionals ?? 0);
        return await running.run(spec.name, () =>
          spec.run({ values: values as Values<O>, positionals, argv, io }),
        );
      } catch (error) {
        io.stderr(
          `vobiz-balance ${spec.name}: ${isExpected(error) ? '' : 'unexpected error: '}${oneLine(error)}`,
        );
        return 2;
      }
    },
  };
  return command;
}

const running = new AsyncLocalStorage<string>();

/**
 * The command being run, as a process refused a data directory is told who holds it:
 * `vobiz-balance sweep`. Outside a command (npm start), the program's name alone.
 */
export function currentCommand(): string {
  const name = running.getStore();
  return name === undefined ? 'vobiz-balance' : `vobiz-balance ${name}`;
}

/** Refusals and failures the program names itself, and files it cannot write. */
function isExpected(error: unknown): boolean {
  if (error instanceof FatalError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    ['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS', 'ENOSPC'].includes(code)
  );
}

const FLAG_COLUMN = 30;

export function optionLine(name: string, spec: OptionSpec): string {
  const short = spec.type === 'boolean' && spec.short ? `-${spec.short}, ` : '';
  const flag = `${short}--${name}${spec.type === 'string' ? ` ${spec.value}` : ''}`;
  const [first = '', ...more] = spec.help.split('\n');
  const indent = ' '.repeat(FLAG_COLUMN + 2);
  const head =
    flag.length <= FLAG_COLUMN - 2 ? `  ${flag.padEnd(FLAG_COLUMN)}${first}` : `  ${flag}\n${indent}${first}`;
  return [head, ...more.map((line) => `${indent}${line}`)].join('\n');
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: vobiz-balance ${command.usage}`];
  if (command.description) lines.push(command.description);
  lines.push('Options:');
  for (const [name, spec] of Object.entries(command.options)) lines.push(optionLine(name, spec));
  return lines.join('\n');
}
