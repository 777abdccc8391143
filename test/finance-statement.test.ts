import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statement as statementCommand } from '../functions/cli/commands/statement.ts';
import type { Snapshot } from '../functions/core/types.ts';
import { StatementBuilder, type StatementRow, statementTotals } from '../functions/finance/statement.ts';
import { alertableIds, capture, type HistoryFixture, startHistory } from './support/history.ts';

function snap(authId: string, observedAt: string, balance: string, currency = 'INR'): Snapshot {
  return {
    authId,
    name: 'Acme',
    currency,
    balance,
    observedAt,
    localDay: observedAt.slice(0, 10),
    level: 'OK',
    sweepId: 's',
  };
}

/** Five-decimal amounts as scaled integers, so the test's arithmetic is exact and independent of money.ts. */
const scaled = (amount: string): bigint => {
  const [whole = '0', fraction = ''] = amount.replace('-', '').split('.');
  const value = BigInt(whole + fraction.padEnd(5, '0').slice(0, 5));
  return amount.startsWith('-') ? -value : value;
};

describe('the statement arithmetic', () => {
  it('balances to the last digit for any sequence of five-decimal balances', () => {
    const amount = fc.bigInt({ min: -10_000_000_000n, max: 10_000_000_000n }).map((n) => {
      const sign = n < 0n ? '-' : '';
      const digits = (n < 0n ? -n : n).toString().padStart(6, '0');
      return `${sign}${digits.slice(0, -5)}.${digits.slice(-5)}`;
    });
    fc.assert(
      fc.property(amount, fc.array(amount, { minLength: 0, maxLength: 40 }), (opening, balances) => {
        // Arrange
        const builder = new StatementBuilder();
        builder.setOpening(snap('MA_1', '2026-10-31T10:00:00.000Z', opening), 'previous-day');
        balances.forEach((b, i) => {
          builder.observe(snap('MA_1', new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(), b));
        });

        // Act
        const [row] = builder.rows() as [StatementRow];

        // Assert
        const sequence = [opening, ...balances].map(scaled);
        let up = 0n;
        let down = 0n;
        for (let i = 1; i < sequence.length; i++) {
          const delta = (sequence[i] as bigint) - (sequence[i - 1] as bigint);
          if (delta > 0n) up += delta;
          else down -= delta;
        }
        expect(row.balanced).toBe(true);
        expect(scaled(row.topUps)).toBe(up);
        expect(scaled(row.spend)).toBe(down);
        expect(scaled(row.closing)).toBe(sequence.at(-1));
        expect(scaled(row.opening) + up - down).toBe(scaled(row.closing));
      }),
      { numRuns: 200 },
    );
  });

  it('accepts an opening learnt after the period was read, and counts the step into the period', () => {
    // Arrange
    const builder = new StatementBuilder();
    builder.observe(snap('MA_1', '2026-11-03T00:00:00.000Z', '120.00000'));
    builder.observe(snap('MA_1', '2026-11-04T00:00:00.000Z', '90.00000'));

    // Act
    builder.setOpening(snap('MA_1', '2026-10-02T00:00:00.000Z', '100.00000'), 'earlier');
    const [row] = builder.rows();

    // Assert
    expect(row).toMatchObject({
      opening: '100.00000',
      topUps: '20.00000',
      spend: '30.00000',
      closing: '90.00000',
    });
    expect(row?.balanced).toBe(true);
  });

  it('does not sum movements across a change of currency, and leaves the account out of the totals', () => {
    // Arrange
    const builder = new StatementBuilder();
    builder.setOpening(snap('MA_1', '2026-10-31T00:00:00.000Z', '100.00000', 'INR'), 'previous-day');
    builder.observe(snap('MA_1', '2026-11-03T00:00:00.000Z', '5.00000', 'USD'));
    builder.setOpening(snap('MA_2', '2026-10-31T00:00:00.000Z', '7.00000', 'INR'), 'previous-day');

    // Act
    const rows = builder.rows();

    // Assert
    expect(rows[0]).toMatchObject({ currencyChanged: true, balanced: false });
    expect(statementTotals(rows)).toEqual([
      {
        currency: 'INR',
        accounts: 1,
        opening: '7.00000',
        topUps: '0.00000',
        spend: '0.00000',
        closing: '7.00000',
        balanced: true,
      },
    ]);
  });
});

/**
 * November 2026 in Asia/Kolkata, observed by sweeps at chosen instants. Account A moves:
 * opening 200.50000 (31 Oct), +1000.12345, -0.62346, -1199.99998, -3.10001, +503.10000,
 * -0.00001, so closing 499.99999 at 23:30 local on 30 Nov; a change at 00:15 local on
 * 1 Dec belongs to December.
 */
describe('a monthly statement over sweeps into dynalite', () => {
  let h: HistoryFixture;
  let a: string;
  let b: string;
  let c: string;
  let bBalance: string;

  beforeAll(async () => {
    h = await startHistory();
    [a, b] = alertableIds(h.sim) as [string, string];
    bBalance = h.sim.getAccount(b)?.cash_credits as string;
    h.sim.setBalance(a, '250.00000');
    await h.sweepAt('2026-10-20T06:00:00.000Z');
    h.sim.setBalance(a, '200.50000');
    // B is not read on the last day of October: its opening must come from 20 October.
    h.sim.addFault({ kind: 'server-error', route: 'balance', authId: b, status: 503 });
    await h.sweepAt('2026-10-31T12:00:00.000Z');
    h.sim.clearFaults();
    const steps: Array<[string, string]> = [
      ['2026-11-05T06:00:00.000Z', '1200.62345'],
      ['2026-11-12T06:00:00.000Z', '1199.99999'],
      ['2026-11-20T06:00:00.000Z', '0.00001'],
      ['2026-11-25T06:00:00.000Z', '-3.10000'],
      ['2026-11-28T06:00:00.000Z', '500.00000'],
      ['2026-11-30T18:00:00.000Z', '499.99999'],
      ['2026-11-30T18:45:00.000Z', '10.00000'],
    ];
    for (const [now, balance] of steps) {
      h.sim.setBalance(a, balance);
      if (now.startsWith('2026-11-12'))
        c = h.sim.addAccount({ name: 'New Customer', cash_credits: '75.00000' }).auth_id;
      if (now.startsWith('2026-11-20')) h.sim.setBalance(c, '80.00000');
      await h.sweepAt(now);
    }
  });

  afterAll(async () => {
    await h.close();
  });

  async function statement(...args: string[]) {
    const io = capture();
    const code = await statementCommand.run([...args, ...h.storeArgs, '--now', '2026-12-02T00:00:00Z'], io);
    return { code, io };
  }

  interface StatementJson {
    rows: StatementRow[];
    totals: ReturnType<typeof statementTotals>;
    notes: string[];
  }

  it('states opening, top-ups, spend and closing to the paisa, with the check passing', async () => {
    // Act
    const { code, io } = await statement('--month', '2026-11', '--format', 'json');

    // Assert
    expect(code).toBe(0);
    const result = JSON.parse(io.text()) as StatementJson;
    expect(result.rows.find((r) => r.authId === a)).toMatchObject({
      opening: '200.50000',
      openingSource: 'previous-day',
      topUps: '1503.22345',
      topUpCount: 2,
      spend: '1203.72346',
      closing: '499.99999',
      closingObservedAt: '2026-11-30T18:00:00.000Z',
      expectedClosing: '499.99999',
      balanced: true,
    });
    expect(result.rows.every((r) => r.balanced)).toBe(true);
    expect(result.totals.every((t) => t.balanced)).toBe(true);
  });

  it('takes the opening of an account missing on the previous day from its last earlier snapshot', async () => {
    // Act
    const { io } = await statement('--month', '2026-11', '--format', 'json');

    // Assert
    const row = (JSON.parse(io.text()) as StatementJson).rows.find((r) => r.authId === b);
    expect(row).toMatchObject({
      opening: bBalance,
      openingSource: 'earlier',
      openingObservedAt: '2026-10-20T06:00:00.000Z',
      topUps: '0.00000',
      spend: '0.00000',
      closing: bBalance,
      balanced: true,
    });
  });

  it('opens an account that appeared during the month with its first observation', async () => {
    // Act
    const { io } = await statement('--month', '2026-11', '--format', 'json');

    // Assert
    const row = (JSON.parse(io.text()) as StatementJson).rows.find((r) => r.authId === c);
    expect(row).toMatchObject({
      opening: '75.00000',
      openingSource: 'first-observation',
      topUps: '5.00000',
      closing: '80.00000',
      balanced: true,
    });
  });

  it('gives the same row for one account read through its own key range', async () => {
    // Act
    const all = await statement('--month', '2026-11', '--format', 'json');
    const one = await statement('--month', '2026-11', '--account', a, '--format', 'json');

    // Assert
    const rows = (JSON.parse(one.io.text()) as StatementJson).rows;
    expect(rows).toEqual([(JSON.parse(all.io.text()) as StatementJson).rows.find((r) => r.authId === a)]);
  });

  it('prints a table with the check on every row and per currency', async () => {
    // Act
    const { code, io } = await statement('--month', '2026-11');

    // Assert
    expect(code).toBe(0);
    const text = io.text();
    expect(text).toMatch(new RegExp(`${a} .* 200\\.50000 +1503\\.22345 +1203\\.72346 +499\\.99999 +ok`));
    expect(text).toMatch(/^INR +\d+ .* ok$/m);
    expect(text).not.toContain('MISMATCH');
  });

  it('says plainly that a month without observations has nothing to state', async () => {
    // Act
    const { code, io } = await statement('--month', '2026-08');

    // Assert
    expect(code).toBe(0);
    expect(io.text()).toContain(
      'No balance observations in 2026-08 or on 2026-07-31 (Asia/Kolkata): nothing to state.',
    );
  });
});
