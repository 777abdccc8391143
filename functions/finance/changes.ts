import { ConfigError } from '../core/errors.ts';
import { API_SCALE, isAmount, isNegative, lessThan, parseAmount } from '../core/money.ts';
import { parseInstant } from '../core/time.ts';
import type { Mute, ThresholdOverride } from '../core/types.ts';

/**
 * Validation of what an operator asks to change (thresholds, defaults, mutes). Every
 * refusal is one ConfigError line naming the flag and the value, and happens before
 * anything is written.
 */

/**
 * The key under which the table keeps the global default, next to the per-currency ones in
 * the CONFIG/THRESHOLDS item. Not a currency code, so a sweep that only looks currencies up
 * ignores it until it reads this key as its global layer.
 */
export { GLOBAL_DEFAULT_KEY } from '../core/ports.ts';

/** A mute is for a known episode (a migration, a dispute), not a way to silence an account for good. */
export const MAX_MUTE_DAYS = 366;
const MAX_REASON_LENGTH = 500;
const MAX_BY_LENGTH = 100;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function parseThresholdAmount(flag: string, text: string | undefined): string {
  if (text === undefined || text.trim() === '') throw new ConfigError(`${flag} <amount> is required`);
  if (!isAmount(text)) {
    throw new ConfigError(
      `${flag} must be a decimal amount such as 100 or 99.50, got ${JSON.stringify(text)}`,
    );
  }
  const amount = parseAmount(text, flag);
  if (isNegative(amount)) throw new ConfigError(`${flag} must not be negative, got ${JSON.stringify(text)}`);
  const fraction = amount.split('.')[1] ?? '';
  if (fraction.length > API_SCALE) {
    throw new ConfigError(
      `${flag} has more than ${API_SCALE} decimal places (wallets hold ${API_SCALE}), got ${JSON.stringify(text)}`,
    );
  }
  return amount;
}

/** --low and an optional --critical, critical not above low. */
export function parseThresholdPair(low: string | undefined, critical: string | undefined): ThresholdOverride {
  const lowAmount = parseThresholdAmount('--low', low);
  if (critical === undefined) return { low: lowAmount };
  const criticalAmount = parseThresholdAmount('--critical', critical);
  if (lessThan(lowAmount, criticalAmount)) {
    throw new ConfigError(
      `--critical ${criticalAmount} is above --low ${lowAmount}; critical must not be above low`,
    );
  }
  return { low: lowAmount, critical: criticalAmount };
}

export function parseCurrency(text: string): string {
  if (!/^[A-Za-z]{3}$/.test(text)) {
    throw new ConfigError(
      `--currency must be a three-letter ISO 4217 code such as INR or USD, got ${JSON.stringify(text)}`,
    );
  }
  return text.toUpperCase();
}

export function parseAuthId(text: string | undefined, usage: string): string {
  if (text === undefined || text === '') throw new ConfigError(`an <auth_id> is required: ${usage}`);
  if (text.length > 128 || /\s/.test(text) || CONTROL.test(text)) {
    throw new ConfigError(`${JSON.stringify(text)} is not an account auth_id`);
  }
  return text;
}

const DAY_MS = 86_400_000;
const DURATION = /^(\d+)\s*(m|min|h|d|w)$/;
const UNIT_MS: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

/** An ISO time with a zone, or a duration from now (90m, 12h, 3d, 2w); strictly in the future. */
export function parseMuteUntil(text: string | undefined, now: string): string {
  if (text === undefined || text.trim() === '') {
    throw new ConfigError(
      '--until <time> is required: an ISO time such as 2026-12-01T09:00:00+05:30, or 12h, 3d',
    );
  }
  const duration = DURATION.exec(text.trim());
  const until = duration
    ? new Date(
        Date.parse(now) + Number(duration[1]) * (UNIT_MS[duration[2] as string] as number),
      ).toISOString()
    : parseInstant(text.trim());
  if (until === null || Number.isNaN(Date.parse(until))) {
    throw new ConfigError(
      `--until must be an ISO time with a zone (2026-12-01T09:00:00+05:30) or a duration (90m, 12h, 3d, 2w), got ${JSON.stringify(text)}`,
    );
  }
  if (Date.parse(until) <= Date.parse(now)) {
    throw new ConfigError(`--until ${until} is not in the future (now is ${now}); a mute must end later`);
  }
  if (Date.parse(until) - Date.parse(now) > MAX_MUTE_DAYS * DAY_MS) {
    throw new ConfigError(`--until ${until} is more than ${MAX_MUTE_DAYS} days away; a mute must end`);
  }
  return until;
}

export function parseReason(text: string | undefined): string {
  const reason = text?.trim() ?? '';
  if (reason === '') throw new ConfigError('--reason <text> must say why the account is muted');
  if (reason.length > MAX_REASON_LENGTH) {
    throw new ConfigError(`--reason is longer than ${MAX_REASON_LENGTH} characters`);
  }
  return reason;
}

/** Who made the change, for the audit: --by, else $USER. */
export function parseBy(flag: string | undefined, user: string | undefined): string {
  const by = (flag ?? user ?? '').trim();
  if (by === '') throw new ConfigError('--by <name> is required for the audit trail (USER is not set)');
  if (by.length > MAX_BY_LENGTH || CONTROL.test(by)) {
    throw new ConfigError(`--by must be a name of at most ${MAX_BY_LENGTH} printable characters`);
  }
  return by;
}

export function muteIsActive(mute: Mute | null, now: string): boolean {
  return mute !== null && Date.parse(mute.until) > Date.parse(now);
}
