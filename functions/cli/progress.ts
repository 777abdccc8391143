import type { SweepEvent } from '../core/sweep-types.ts';
import type { CliIO } from './io.ts';

/**
 * The live line a sweep draws on a terminal's stderr: accounts read of those listed (and of
 * the API's total), the rate, the failures so far and the time left. What it says is a pure
 * function of a progress state the sweep's events advance; the line itself is redrawn in place
 * (carriage return, clear to the end of line) at most every `intervalMs`, and cleared before
 * any other line is printed and at the end, so it never mixes with them.
 */

export interface ProgressState {
  /** When the sweep started, epoch ms. */
  startedAt: number;
  /** When the first account was done: the rate counts from there, not from the listing. */
  firstDoneAt: number | null;
  /** Rows of the list pages read so far: a page two parts of the sweep share counts twice. */
  rows: number;
  /** Accounts one part took that another had already taken: the rows counted twice, found so far. */
  skipped: number;
  /** The API's count of accounts on the latest page, null before the first page. */
  total: number | null;
  read: number;
  gone: number;
  failed: number;
}

export function startProgress(startedAt: number): ProgressState {
  return { startedAt, firstDoneAt: null, rows: 0, skipped: 0, total: null, read: 0, gone: 0, failed: 0 };
}

export function advance(state: ProgressState, event: SweepEvent, now: number): ProgressState {
  if (event.type === 'page') return { ...state, rows: state.rows + event.newAccounts, total: event.total };
  if (event.type !== 'account') return state;
  if (event.outcome === 'skipped') return { ...state, skipped: state.skipped + 1 };
  return { ...state, firstDoneAt: state.firstDoneAt ?? now, [event.outcome]: state[event.outcome] + 1 };
}

const COUNT = new Intl.NumberFormat('en-US');

/**
 * The line for a terminal `columns` wide (cut to fit: a line that wraps cannot be redrawn in
 * place): `read 1,234 of 2,000 listed (10,000 in the API) · 3 failed · 41/s · ETA 3m12s`.
 * Known accounts the list no longer shows are read after it, by id: `+ 5 not listed`.
 */
export function renderProgress(state: ProgressState, now: number, columns: number): string {
  const elapsed = formatDuration(now - state.startedAt);
  let line: string;
  if (state.total === null && state.rows === 0) {
    line = `listing accounts… ${elapsed}`;
  } else {
    const done = state.read + state.gone + state.failed;
    const listed = state.rows - state.skipped;
    const unlisted = Math.max(0, done - listed);
    const target = Math.max(listed + unlisted, state.total ?? 0);
    const seconds = state.firstDoneAt === null ? 0 : (now - state.firstDoneAt) / 1000;
    // Under a second of reading says nothing yet about the rate.
    const rate = seconds >= 1 ? done / seconds : null;
    const left = Math.max(0, target - done);
    const parts = [
      `read ${COUNT.format(state.read + state.gone)} of ${COUNT.format(listed)} listed` +
        (unlisted > 0 ? ` + ${COUNT.format(unlisted)} not listed` : '') +
        (state.total === null ? '' : ` (${COUNT.format(state.total)} in the API)`),
    ];
    if (state.failed > 0) parts.push(`${COUNT.format(state.failed)} failed`);
    parts.push(rate === null ? '–/s' : `${rate < 10 ? rate.toFixed(1) : COUNT.format(Math.round(rate))}/s`);
    parts.push(
      rate === null || rate === 0
        ? `ETA – (${elapsed} so far)`
        : `ETA ${formatDuration((left / rate) * 1000)}`,
    );
    line = parts.join(' · ');
  }
  return Array.from(line)
    .slice(0, Math.max(columns - 1, 0))
    .join('');
}

/** 45s, 3m12s, 1h04m. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Back to the line's start and erase it. */
const CLEAR = '\r\x1b[2K';

export interface ProgressLine {
  /** The sweep starts now: elapsed time counts from here, and the line is drawn from here on. */
  start(): void;
  /** Takes in an event; redraws when the last drawing is `intervalMs` old. */
  update(event: SweepEvent): void;
  /** Redraws if due, so elapsed time and rate move while no event comes (a slow API). */
  tick(): void;
  /** `print`, preceded by clearing the line when it is drawn; the next update or tick draws it again. */
  above(print: (line: string) => void): (line: string) => void;
  /** Clears the line for good. */
  finish(): void;
}

export function createProgressLine(options: {
  /** Bytes for the terminal, as given. */
  write(chunk: string): void;
  clock: () => number;
  columns: number;
  /** At most one drawing this often (default 250 ms: four a second). */
  intervalMs?: number;
}): ProgressLine {
  const interval = options.intervalMs ?? 250;
  let state: ProgressState | null = null;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let shown = false;
  let finished = false;

  const drawIfDue = () => {
    const now = options.clock();
    if (state === null || finished || now - drawnAt < interval) return;
    options.write(`${CLEAR}${renderProgress(state, now, options.columns)}`);
    drawnAt = now;
    shown = true;
  };
  const clear = () => {
    if (!shown) return;
    options.write(CLEAR);
    shown = false;
  };

  return {
    start() {
      state = startProgress(options.clock());
      drawIfDue();
    },
    update(event) {
      if (state === null) return;
      state = advance(state, event, options.clock());
      drawIfDue();
    },
    tick: drawIfDue,
    above: (print) => (line) => {
      clear();
      print(line);
    },
    finish() {
      clear();
      finished = true;
    },
  };
}

/**
 * The progress line on stderr when stderr is a terminal, ticking by itself while no event
 * comes; null otherwise (a pipe, a file, a log: `--verbose` writes lines there instead).
 */
export function progressOnTerminal(
  io: Pick<CliIO, 'stderrIsTTY' | 'writeStderr' | 'columns'>,
  clock: () => number,
): ProgressLine | null {
  if (io.stderrIsTTY !== true || !io.writeStderr) return null;
  const line = createProgressLine({ write: io.writeStderr, clock, columns: io.columns ?? 80 });
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    ...line,
    start() {
      line.start();
      timer = setInterval(line.tick, TICK_MS);
      timer.unref();
    },
    finish() {
      clearInterval(timer);
      line.finish();
    },
  };
}

const TICK_MS = 250;
