import { ARCHIVE_COLUMNS } from '../../contract/archive-layout.ts';
import { FatalError } from '../../core/errors.ts';
import { parseAmount } from '../../core/money.ts';
import { parseInstant } from '../../core/time.ts';
import type { Level, Snapshot } from '../../core/types.ts';

/**
 * A snapshot as one JSON line of a day file: snake_case keys (the Glue columns), every value a
 * string, amounts exact. Fields are copied by name, so nothing else can reach the archive.
 */

// A record, not a list, so that a new level fails the typecheck here until the archive reads it.
const LEVELS: Record<Level, true> = { UNKNOWN: true, OK: true, LOW: true, CRITICAL: true };

export function snapshotToLine(s: Snapshot): string {
  return JSON.stringify({
    auth_id: s.authId,
    name: s.name,
    currency: s.currency,
    balance: s.balance,
    observed_at: s.observedAt,
    local_day: s.localDay,
    level: s.level,
    sweep_id: s.sweepId,
  });
}

/** Parses and checks one line; `where` names the file and line in the error. */
export function snapshotFromLine(line: string, where: string): Snapshot {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new FatalError(`${where} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FatalError(`${where} is not a JSON object`);
  }
  const record = value as Record<string, unknown>;
  const text = (key: string): string => {
    const field = record[key];
    if (typeof field !== 'string') throw new FatalError(`${where}: ${key} is not a string`);
    return field;
  };
  for (const column of ARCHIVE_COLUMNS) text(column.name);
  const observedAt = text('observed_at');
  if (parseInstant(observedAt) !== observedAt)
    throw new FatalError(`${where}: observed_at is not an ISO UTC instant`);
  const level = text('level');
  if (!Object.hasOwn(LEVELS, level))
    throw new FatalError(`${where}: level ${JSON.stringify(level)} is unknown`);
  return {
    authId: text('auth_id'),
    name: text('name'),
    currency: text('currency'),
    balance: parseAmount(text('balance'), `${where} balance`),
    observedAt,
    localDay: text('local_day'),
    level: level as Level,
    sweepId: text('sweep_id'),
  };
}
