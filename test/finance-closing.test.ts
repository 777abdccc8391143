import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closing as closingCommand } from '../functions/cli/commands/closing.ts';
import { history as historyCommand } from '../functions/cli/commands/history.ts';
import { alertableIds, capture, type HistoryFixture, startHistory } from './support/history.ts';

/**
 * Closing balances and history over sweeps made at chosen instants around midnight in
 * Asia/Kolkata (UTC+05:30): 18:29Z is 23:59 on one day there, 18:31Z is 00:01 on the next.
 */

let h: HistoryFixture;
let a: string;
let b: string;
let bBalance: string;
let initialA: string;

beforeAll(async () => {
  h = await startHistory();
  [a, b] = alertableIds(h.sim) as [string, string];
  initialA = h.sim.getAccount(a)?.cash_credits as string;
  await h.sweepAt('2026-11-26T06:00:00.000Z');
  h.sim.setBalance(a, '500.12345');
  await h.sweepAt('2026-11-27T10:00:00.000Z');
  h.sim.setBalance(a, '480.00001');
  await h.sweepAt('2026-11-27T18:29:00.000Z');
  bBalance = h.sim.getAccount(b)?.cash_credits as string;
  h.sim.setBalance(a, '470.00000');
  h.sim.addFault({ kind: 'server-error', route: 'balance', authId: b, status: 503 });
  await h.sweepAt('2026-11-27T18:31:00.000Z');
  h.sim.clearFaults();
});

afterAll(async () => {
  await h.close();
});

async function closing(...args: string[]) {
  const io = capture();
  const code = await closingCommand.run([...args, ...h.storeArgs, '--now', '2026-11-29T12:00:00Z'], io);
  return { code, io };
}

interface ClosingJson {
  rows: Array<{
    authId: string;
    currency: string;
    balance: string;
    observedAt: string;
    carriedForward: boolean;
    observedDay: string;
  }>;
  totals: Array<{ currency: string; accounts: number; total: string }>;
  notes: string[];
}

describe('closing balances in the partner timezone', () => {
  it('takes the last observation before local midnight, not the one a minute after it', async () => {
    // Act
    const { code, io } = await closing('--date', '2026-11-27', '--format', 'json');

    // Assert
    expect(code).toBe(0);
    const result = JSON.parse(io.text()) as ClosingJson;
    const row = result.rows.find((r) => r.authId === a);
    expect(row).toMatchObject({
      balance: '480.00001',
      observedAt: '2026-11-27T18:29:00.000Z',
      carriedForward: false,
    });
    expect(result.rows).toHaveLength(30);
  });

  it('starts the next day with the observation made at 00:01 local time', async () => {
    // Act
    const { code, io } = await closing('--date', '2026-11-28', '--format', 'json');

    // Assert
    expect(code).toBe(0);
    const result = JSON.parse(io.text()) as ClosingJson;
    expect(result.rows.find((r) => r.authId === a)).toMatchObject({
      balance: '470.00000',
      observedAt: '2026-11-27T18:31:00.000Z',
      observedDay: '2026-11-28',
    });
  });

  it('carries an account that was not observed on the day forward from its latest earlier observation, and says so', async () => {
    // Act
    const json = await closing('--date', '2026-11-28', '--format', 'json');
    const table = await closing('--date', '2026-11-28');

    // Assert
    const row = (JSON.parse(json.io.text()) as ClosingJson).rows.find((r) => r.authId === b);
    expect(row).toMatchObject({ balance: bBalance, carriedForward: true, observedDay: '2026-11-27' });
    // Its balance did not move on the 27th after the day's first snapshot, so that is the one shown.
    expect(row?.observedAt).toBe('2026-11-27T10:00:00.000Z');
    expect(table.io.text()).toMatch(
      new RegExp(`${b} .* not observed on 2026-11-28: carried from 2026-11-27`),
    );
    expect(json.io.err.join('\n')).toContain('1 account(s) were not observed on 2026-11-28');
  });

  it('sums each currency exactly', async () => {
    // Act
    const { io } = await closing('--date', '2026-11-27', '--format', 'json');

    // Assert: every balance has five decimals, so sums of the scaled integers are exact.
    const result = JSON.parse(io.text()) as ClosingJson;
    expect(result.totals.length).toBeGreaterThan(0);
    for (const total of result.totals) {
      const rows = result.rows.filter((r) => r.currency === total.currency);
      const scaled = rows.reduce((sum, r) => sum + BigInt(r.balance.replace('.', '')), 0n);
      expect(total.accounts).toBe(rows.length);
      expect(BigInt(total.total.replace('.', ''))).toBe(scaled);
    }
  });

  it('says plainly that a day without observations has no data', async () => {
    // Act
    const { code, io } = await closing('--date', '2026-11-10', '--lookback-days', '3');

    // Assert
    expect(code).toBe(0);
    expect(io.text()).toContain(
      'No balance observations on 2026-11-10 or in the 3 day(s) before it (Asia/Kolkata).',
    );
  });

  it('refuses to cut days in another timezone than the history was recorded in', async () => {
    // Act
    const { code, io } = await closing('--date', '2026-11-28', '--timezone', 'UTC');

    // Assert
    expect(code).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(
      /^vobiz-balance closing: the history was recorded in another timezone than --timezone UTC/,
    );
  });
});

describe('an account history', () => {
  async function history(...args: string[]) {
    const io = capture();
    const code = await historyCommand.run([...args, ...h.storeArgs], io);
    return { code, io };
  }

  it('lists the snapshots newest first, with the partner-local date of each', async () => {
    // Act
    const { code, io } = await history(a, '--format', 'json');

    // Assert
    expect(code).toBe(0);
    const snapshots = (JSON.parse(io.text()) as { snapshots: Array<{ balance: string; localDate: string }> })
      .snapshots;
    expect(snapshots.map((s) => s.balance)).toEqual(['470.00000', '480.00001', '500.12345', initialA]);
    expect(snapshots.map((s) => s.localDate)).toEqual([
      '2026-11-28',
      '2026-11-27',
      '2026-11-27',
      '2026-11-26',
    ]);
  });

  it('bounds the range by partner-local days', async () => {
    // Act
    const { io } = await history(a, '--from', '2026-11-27', '--to', '2026-11-27', '--format', 'json');

    // Assert
    const snapshots = (JSON.parse(io.text()) as { snapshots: Array<{ balance: string }> }).snapshots;
    expect(snapshots.map((s) => s.balance)).toEqual(['480.00001', '500.12345']);
  });

  it('says plainly when the range holds nothing, and refuses an account no sweep has seen', async () => {
    // Act
    const empty = await history(a, '--from', '2026-12-01');
    const unknown = await history('MA_NOBODY00');

    // Assert
    expect(empty.code).toBe(0);
    expect(empty.io.err).toEqual([]);
    expect(empty.io.text()).toContain(`No snapshots of ${a} from 2026-11-30T18:30:00.000Z to now.`);
    expect(unknown.code).toBe(2);
    expect(unknown.io.err).toEqual([
      `vobiz-balance history: unknown account MA_NOBODY00: no sweep has recorded it in table ${h.tableName}`,
    ]);
  });
});
