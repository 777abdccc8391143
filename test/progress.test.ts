import { describe, expect, it } from 'vitest';
import {
  advance,
  createProgressLine,
  formatDuration,
  type ProgressState,
  renderProgress,
  startProgress,
} from '../functions/cli/progress.ts';
import type { SweepEvent as ProgressEvent } from '../functions/core/sweep-types.ts';

/**
 * The sweep's live line on a terminal: what it says, computed from synthetic sweep events,
 * and how often and how it is drawn, under an injected clock.
 */

const CLEAR = '\r\x1b[2K';

const page = (newAccounts: number, total: number): ProgressEvent => ({
  type: 'page',
  page: 1,
  newAccounts,
  total,
});
const account = (outcome: 'read' | 'failed' | 'gone' | 'skipped'): ProgressEvent => ({
  type: 'account',
  authId: 'MA_X',
  outcome,
  notifications: [],
});

function feed(state: ProgressState, events: [ProgressEvent, number][]): ProgressState {
  return events.reduce((s, [event, at]) => advance(s, event, at), state);
}

describe('the progress line', () => {
  it('says it is listing, with the time so far, before the first page', () => {
    // Act
    const line = renderProgress(startProgress(1_000), 4_200, 80);

    // Assert
    expect(line).toBe('listing accounts… 3s');
  });

  it('counts read (and gone) of listed and of the API total, failures, the rate since the first account, and the time left', () => {
    // Arrange: 200 of 250 listed; 45 accounts done in the 10 s since the first one.
    const events: [ProgressEvent, number][] = [
      [page(100, 250), 500],
      [page(100, 250), 800],
      ...Array.from({ length: 40 }, (): [ProgressEvent, number] => [account('read'), 1_000]),
      [account('gone'), 2_000],
      [account('gone'), 2_000],
      [account('failed'), 3_000],
      [account('failed'), 3_000],
      [account('failed'), 3_000],
    ];

    // Act
    const line = renderProgress(feed(startProgress(0), events), 11_000, 120);

    // Assert: 45 / 10 s = 4.5/s; (250 - 45) / 4.5 = 45.6 s.
    expect(line).toBe('read 42 of 200 listed (250 in the API) · 3 failed · 4.5/s · ETA 46s');
  });

  it('leaves out failures while there are none, and counts an account two parts of the sweep listed once', () => {
    // Arrange: two parts share a page; the second finds 9 of its rows already taken.
    const events: [ProgressEvent, number][] = [
      [page(50, 50), 0],
      ...Array.from({ length: 30 }, (): [ProgressEvent, number] => [account('read'), 0]),
      ...Array.from({ length: 9 }, (): [ProgressEvent, number] => [account('skipped'), 0]),
    ];

    // Act
    const line = renderProgress(feed(startProgress(0), events), 2_000, 120);

    // Assert: 41 listed; 30 in 2 s = 15/s, 20 left of the API's 50.
    expect(line).toBe('read 30 of 41 listed (50 in the API) · 15/s · ETA 1s');
  });

  it('counts known accounts the list no longer shows, read by id after it, apart', () => {
    // Arrange
    const events: [ProgressEvent, number][] = [
      [page(10, 10), 0],
      ...Array.from({ length: 11 }, (): [ProgressEvent, number] => [account('read'), 0]),
      [account('gone'), 0],
    ];

    // Act
    const line = renderProgress(feed(startProgress(0), events), 4_000, 120);

    // Assert
    expect(line).toBe('read 12 of 10 listed + 2 not listed (10 in the API) · 3.0/s · ETA 0s');
  });

  it('gives no rate or time left in the first second of reading', () => {
    // Arrange
    const state = feed(startProgress(0), [
      [page(100, 1_000), 0],
      [account('read'), 64_000],
    ]);

    // Act
    const line = renderProgress(state, 64_500, 120);

    // Assert
    expect(line).toBe('read 1 of 100 listed (1,000 in the API) · –/s · ETA – (1m05s so far)');
  });

  it('is cut one column short of the terminal, so it never wraps', () => {
    // Arrange
    const state = feed(startProgress(0), [[page(100, 1_000), 0]]);

    // Act
    const line = renderProgress(state, 0, 20);

    // Assert
    expect(line).toBe('read 0 of 100 liste');
  });

  it('writes durations as seconds, minutes and seconds, or hours and minutes', () => {
    // Act & Assert
    expect([45_000, 192_000, 3_840_000, -5].map(formatDuration)).toEqual(['45s', '3m12s', '1h04m', '0s']);
  });
});

describe('the progress line on a terminal', () => {
  function terminal(intervalMs?: number) {
    let now = 0;
    const writes: string[] = [];
    const line = createProgressLine({
      write: (chunk) => writes.push(chunk),
      clock: () => now,
      columns: 100,
      ...(intervalMs === undefined ? {} : { intervalMs }),
    });
    return {
      line,
      writes,
      at: (ms: number) => {
        now = ms;
      },
    };
  }

  it('draws nothing before the sweep starts', () => {
    // Arrange
    const t = terminal();

    // Act
    t.line.update(page(10, 10));
    t.line.tick();

    // Assert
    expect(t.writes).toEqual([]);
  });

  it('redraws in place, one line, at most four times a second however many events come', () => {
    // Arrange
    const t = terminal();
    t.line.start();
    t.line.update(page(1_000, 1_000));

    // Act: an event every 10 ms for a second and a quarter.
    for (let ms = 10; ms <= 1_250; ms += 10) {
      t.at(ms);
      t.line.update(account('read'));
    }

    // Assert: drawn at 0 (start), 250, 500, 750, 1000 and 1250 ms.
    expect(t.writes).toHaveLength(6);
    for (const chunk of t.writes) {
      expect(chunk.startsWith(CLEAR)).toBe(true);
      expect(chunk).not.toContain('\n');
    }
    // 125 read in the 1.24 s since the first: 101/s, 875 left.
    expect(t.writes.at(-1)).toBe(`${CLEAR}read 125 of 1,000 listed (1,000 in the API) · 101/s · ETA 9s`);
  });

  it('redraws on a tick while no event comes, so the time keeps moving', () => {
    // Arrange
    const t = terminal();
    t.line.start();

    // Act
    t.at(100);
    t.line.tick();
    t.at(2_000);
    t.line.tick();

    // Assert
    expect(t.writes).toEqual([`${CLEAR}listing accounts… 0s`, `${CLEAR}listing accounts… 2s`]);
  });

  it('clears itself before another line is printed, and is drawn again on the next tick', () => {
    // Arrange
    const t = terminal();
    const printed: string[] = [];
    const print = t.line.above((line) => {
      printed.push(line);
      t.writes.push(`${line}\n`);
    });
    t.line.start();

    // Act
    print('LOW Asha (MA_1): balance 5.00 INR, below 100.00 INR');
    print('second line');
    t.at(300);
    t.line.tick();

    // Assert: cleared once (it was drawn), not again (it was not).
    expect(t.writes).toEqual([
      `${CLEAR}listing accounts… 0s`,
      CLEAR,
      'LOW Asha (MA_1): balance 5.00 INR, below 100.00 INR\n',
      'second line\n',
      `${CLEAR}listing accounts… 0s`,
    ]);
    expect(printed).toHaveLength(2);
  });

  it('is cleared at the end and never drawn again', () => {
    // Arrange
    const t = terminal();
    t.line.start();

    // Act
    t.line.finish();
    t.at(5_000);
    t.line.update(page(5, 5));
    t.line.tick();

    // Assert
    expect(t.writes).toEqual([`${CLEAR}listing accounts… 0s`, CLEAR]);
  });

  it('takes its interval as given', () => {
    // Arrange
    const t = terminal(1_000);
    t.line.start();

    // Act
    for (let ms = 100; ms <= 1_900; ms += 100) {
      t.at(ms);
      t.line.tick();
    }

    // Assert
    expect(t.writes).toHaveLength(2);
  });
});
