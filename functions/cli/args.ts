import { parseArgs } from 'node:util';
import { ConfigError, oneLine } from '../core/errors.ts';
import { isTimeZone, parseInstant } from '../core/time.ts';

/**
 * The one argument parser of the command line: options declared once with their help line,
 * read by node:util parseArgs, and the value checks every command shares. Every refusal is a
 * ConfigError naming the option as the user typed it.
 */

export interface StringOption {
  readonly type: 'string';
  /** How the value reads in the help: `<dir>`, `table|csv|json`. */
  readonly value: string;
  readonly help: string;
  readonly multiple?: boolean;
}

export interface BooleanOption {
  readonly type: 'boolean';
  readonly help: string;
  readonly short?: string;
}

export type OptionSpec = StringOption | BooleanOption;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export type Values<O extends OptionSpecs> = {
  readonly [K in keyof O]?: O[K] extends BooleanOption
    ? boolean
    : O[K] extends { multiple: true }
      ? string[]
      : string;
};

/** The command line itself cannot be read (an unknown option, a missing value). */
export class UsageError extends ConfigError {
  override name = 'UsageError';
}

export const HELP_OPTION = {
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const satisfies OptionSpecs;

export function parseCommandLine<O extends OptionSpecs>(
  argv: readonly string[],
  options: O,
): { values: Values<O>; positionals: string[] } {
  const config = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      spec.type === 'boolean'
        ? { type: 'boolean' as const, ...(spec.short ? { short: spec.short } : {}) }
        : { type: 'string' as const, multiple: spec.multiple ?? false },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(argv, options),
      options: config,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as Values<O>, positionals };
  } catch (error) {
    throw new UsageError(`${describeParseError(error)} (see --help)`);
  }
}

const NEGATIVE_NUMBER = /^-\.?\d/;

/**
 * parseArgs takes `--threshold -5` for an option followed by a flag and refuses it as
 * ambiguous; a negative number after an option that takes a value is that value, so it
 * reaches the check that says what is wrong with it.
 */
function joinNegativeValues(argv: readonly string[], options: OptionSpecs): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      joined.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const takesValue = arg.startsWith('--') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** parseArgs explains at length; one line naming the option is enough. */
function describeParseError(error: unknown): string {
  const message = oneLine(error);
  const code = (error as { code?: unknown }).code;
  const flag = /'(-[^' ]*)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) return `unknown option ${flag}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    if (/does not take an argument/.test(message)) return `${flag} takes no value`;
    if (/ambiguous/.test(message))
      return `${flag} needs a value (write ${flag}=-x for one starting with "-")`;
    return `${flag} needs a value`;
  }
  return message;
}

export function noExtraPositionals(positionals: readonly string[], expected: number): void {
  const extra = positionals[expected];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (see --help)`);
}

// ---------------------------------------------------------------- options several commands take

export const NOW_OPTION = {
  now: { type: 'string', value: '<ISO time>', help: 'treat this as the current time (replays, tests)' },
} as const satisfies OptionSpecs;

/** The instant --now names, else the clock's. */
export function resolveNow(text: string | undefined, clock: () => number): string {
  if (text === undefined) return new Date(clock()).toISOString();
  const now = parseInstant(text);
  if (now === null) {
    throw new ConfigError(
      `--now must be an ISO time with a zone, e.g. 2026-11-27T09:00:00Z, got ${JSON.stringify(text)}`,
    );
  }
  return now;
}

export const DEFAULT_TIMEZONE = 'Asia/Kolkata';

export const TIMEZONE_OPTION = {
  timezone: {
    type: 'string',
    value: '<IANA zone>',
    help: `the partner's time zone, which decides its days (default ${DEFAULT_TIMEZONE})`,
  },
} as const satisfies OptionSpecs;

export function resolveTimezone(text: string | undefined): string {
  const zone = text ?? DEFAULT_TIMEZONE;
  if (!isTimeZone(zone)) {
    throw new ConfigError(
      `--timezone must be an IANA time zone such as Asia/Kolkata, got ${JSON.stringify(text)}`,
    );
  }
  return zone;
}

/** A whole number in [min, max], or the fallback when the option is absent. */
export function wholeNumber(
  flag: string,
  text: string | undefined,
  range: { min: number; max: number; fallback: number },
): number {
  if (text === undefined) return range.fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(
      `${flag} must be a whole number from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A number as the user wrote it in decimal, NaN for anything else ("", "0x10", "1e3" and
 * "many" are not numbers a person means), so the setting's own check names what it needs.
 */
export function decimalNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return DECIMAL.test(text.trim()) ? Number(text) : Number.NaN;
}
