import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { type CsvColumn, toCsv } from '../finance/csv.ts';
import type { OptionSpecs } from './args.ts';
import type { CliIO } from './io.ts';

/**
 * The one output helper: every command that prints data takes `--format table|csv|json`
 * (the ones it can give) and `--json` for `--format json`. With JSON, stdout holds exactly
 * one document; whatever else a command has to say goes to stderr.
 */

export type Format = 'table' | 'csv' | 'json';

export function formatOptions(formats: readonly Format[]) {
  return {
    format: { type: 'string', value: formats.join('|'), help: 'output format (default table)' },
    json: { type: 'boolean', help: 'the same as --format json' },
  } as const satisfies OptionSpecs;
}

export const FILE_OUTPUT_OPTIONS = {
  out: { type: 'string', value: '<file>', help: 'write to this file instead of stdout' },
  'no-bom': {
    type: 'boolean',
    help: 'CSV without the UTF-8 byte order mark (Excel needs it; default on)',
  },
} as const satisfies OptionSpecs;

export function resolveFormat<F extends Format>(
  values: { format?: string; json?: boolean },
  formats: readonly F[],
): F {
  if (values.json && values.format !== undefined && values.format !== 'json') {
    throw new ConfigError(`--json is --format json: give one of --json and --format ${values.format}`);
  }
  const format = (values.json ? 'json' : (values.format ?? 'table')) as F;
  if (!formats.includes(format)) {
    throw new ConfigError(
      `--format must be one of ${formats.join(', ')}, got ${JSON.stringify(values.format)}`,
    );
  }
  return format;
}

export interface Views<Row> {
  /** The text for a terminal, without the last newline. */
  table: () => string;
  /** The document for --format json. */
  json: () => unknown;
  csv?: { columns: readonly CsvColumn<Row>[]; rows: readonly Row[] };
}

export interface OutputOptions {
  /** Write here instead of stdout, byte for byte. */
  out?: string | undefined;
  /** CSV with a byte order mark (default true). */
  bom?: boolean;
}

/** Renders the views in the chosen format and writes them to --out or stdout. */
export async function writeOutput<Row>(
  io: CliIO,
  format: Format,
  views: Views<Row>,
  options: OutputOptions = {},
): Promise<void> {
  let text: string;
  if (format === 'json') text = `${JSON.stringify(views.json(), null, 2)}\n`;
  else if (format === 'csv' && views.csv) {
    text = toCsv(views.csv.columns, views.csv.rows, { bom: options.bom ?? true });
  } else text = `${views.table()}\n`;
  if (options.out !== undefined) await writeFile(resolve(options.out), text, 'utf8');
  else io.write(text);
}
