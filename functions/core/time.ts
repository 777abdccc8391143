/** Calendar arithmetic in the partner's timezone, with nothing but Intl. */

interface DayFormatter {
  format: Intl.DateTimeFormat;
  /** The last second formatted and its day: a sweep asks about the same few seconds thousands of times. */
  second: number;
  day: string;
}

const formatters = new Map<string, DayFormatter>();

function dayFormatter(timeZone: string): DayFormatter {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-CA formats dates as YYYY-MM-DD.
    const format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatter = { format, second: Number.NaN, day: '' };
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when Intl knows the IANA zone name. */
export function isTimeZone(name: string): boolean {
  try {
    dayFormatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The partner-local calendar day (YYYY-MM-DD) of an instant. */
export function localDay(iso: string | number, timeZone: string): string {
  const formatter = dayFormatter(timeZone);
  const ms = new Date(iso).getTime();
  // Zone offsets are whole seconds, so a day never changes within a second.
  const second = Math.floor(ms / 1000);
  if (second !== formatter.second) {
    formatter.day = formatter.format.format(ms);
    formatter.second = second;
  }
  return formatter.day;
}

/** Strict ISO-8601 instant with an explicit zone; returns the canonical UTC form or null. */
export function parseInstant(text: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The calendar day `n` days after a YYYY-MM-DD day (n may be negative). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + n * 86_400_000).toISOString().slice(0, 10);
}

export function addMs(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}
