import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { createFinanceStore, type FinanceStore } from '../adapters/dynamodb/finance-store.ts';
import { ConfigError, FatalError, oneLine } from '../core/errors.ts';
import { isTimeZone, localDay, parseInstant } from '../core/time.ts';
import type { Snapshot } from '../core/types.ts';
import type { CommandIO } from './commands/sweep.ts';
import { type StoreFlags, storeTarget, withStore } from './store-options.ts';

/**
 * What the finance and operations commands share: flag parsing that fails in one line,
 * output to stdout or a file byte for byte, and opening the finance store on the table
 * the store flags name.
 */

/** The CLI's IO, plus raw writes for output that must keep its exact bytes (CSV's CRLF). */
export interface FinanceIO extends CommandIO {
  write?: (chunk: string) => void;
}

export const DEFAULT_TIMEZONE = 'Asia/Kolkata';

export type Values = Record<string, string | boolean | string[] | undefined>;

export function parseCommandArgs(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new ConfigError(`${oneLine(error)} (see --help)`);
  }
}

export function str(values: Values, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

export function storeFlags(values: Values): StoreFlags {
  return {
    'data-dir': str(values, 'data-dir'),
    'dynamodb-endpoint': str(values, 'dynamodb-endpoint'),
    table: str(values, 'table'),
  };
}

export function noExtraPositionals(positionals: string[], expected: number): void {
  const extra = positionals[expected];
  if (extra !== undefined) throw new ConfigError(`unexpected argument ${JSON.stringify(extra)} (see --help)`);
}

export type Format = 'table' | 'csv' | 'json';

export function parseFormat<F extends Format>(text: string | undefined, allowed: readonly F[]): F {
  const format = (text ?? 'table') as F;
  if (!allowed.includes(format)) {
    throw new ConfigError(`--format must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return format;
}

export function parseTimezone(text: string | undefined): string {
  const zone = text ?? DEFAULT_TIMEZONE;
  if (!isTimeZone(zone)) {
    throw new ConfigError(
      `--timezone must be an IANA time zone such as Asia/Kolkata, got ${JSON.stringify(text)}`,
    );
  }
  return zone;
}

export function parseNow(text: string | undefined, clock: () => number = Date.now): string {
  if (text === undefined) return new Date(clock()).toISOString();
  const now = parseInstant(text);
  if (now === null) {
    throw new ConfigError(
      `--now must be an ISO time with a zone, e.g. 2026-11-27T09:00:00Z, got ${JSON.stringify(text)}`,
    );
  }
  return now;
}

export function parseCount(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** Writes the command's output: to --out byte for byte, else to stdout. */
export async function emit(io: FinanceIO, text: string, out: string | undefined): Promise<void> {
  if (out !== undefined) {
    await writeFile(resolve(out), text, 'utf8');
    return;
  }
  if (io.write) io.write(text);
  else io.stdout(text.endsWith('\n') ? text.slice(0, -1) : text);
}

/** Runs a command body; every failure becomes one stderr line and exit status 2. */
export async function runCommand(name: string, io: FinanceIO, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const known = error instanceof FatalError || isWriteError(error);
    io.stderr(`vobiz-balance ${name}: ${known ? '' : 'unexpected error: '}${oneLine(error)}`);
    return 2;
  }
}

function isWriteError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'EROFS', 'ENOSPC'].includes(code);
}

export interface FinanceContext {
  store: FinanceStore;
  tableName: string;
  timezone: string;
}

/** Opens the store the flags name (never creating a table) and runs `work` on it. */
export async function withFinanceStore<T>(
  values: Values,
  io: FinanceIO,
  timezone: string,
  work: (context: FinanceContext) => Promise<T>,
): Promise<T> {
  const target = storeTarget(storeFlags(values), io.env);
  return withStore(target, { create: false }, ({ client, tableName }) =>
    work({
      store: createFinanceStore({ client, tableName, timezone, retentionDays: 400 }),
      tableName,
      timezone,
    }),
  );
}

/**
 * Snapshots are filed under the sweep's partner-local day: read with another --timezone,
 * days would be cut in the wrong place and statements would be wrong without a sign.
 */
export function assertSameTimezone(snapshot: Snapshot, timezone: string): void {
  const day = localDay(snapshot.observedAt, timezone);
  if (day !== snapshot.localDay) {
    throw new ConfigError(
      `the history was recorded in another timezone than --timezone ${timezone} (${snapshot.authId} at ${snapshot.observedAt} is filed under ${snapshot.localDay}, not ${day}): pass the sweep's --timezone`,
    );
  }
}

/** History queries at once when openings must be looked up account by account. */
export const OPENING_CONCURRENCY = 8;
