import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../functions/cli/command.ts';
import { audit as auditCommand } from '../functions/cli/commands/audit.ts';
import { mute as muteCommand } from '../functions/cli/commands/mute.ts';
import { thresholds as thresholdsCommand } from '../functions/cli/commands/thresholds.ts';
import { unmute as unmuteCommand } from '../functions/cli/commands/unmute.ts';
import { alertableIds, capture, type HistoryFixture, startHistory } from './support/history.ts';

/** Thresholds, defaults and mutes written by the commands, read back by the real sweep. */

let h: HistoryFixture;
let ids: string[];

beforeAll(async () => {
  h = await startHistory();
  ids = alertableIds(h.sim);
  // Healthy balances everywhere except where a test sets one.
  for (const id of h.sim.accountIds()) h.sim.setBalance(id, '5000.00000');
  await h.sweepAt('2026-11-27T00:00:00.000Z');
});

afterAll(async () => {
  await h.close();
});

async function run(
  command: Command,
  args: string[],
  env: Record<string, string> = { USER: 'tester' },
  clock?: () => number,
) {
  const io = { ...capture(env), ...(clock ? { clock } : {}) };
  const code = await command.run([...args, ...h.storeArgs], io);
  return { code, out: io.text(), err: io.err };
}

function account(i: number): string {
  const id = ids[i];
  if (!id) throw new Error(`the fixture has no alertable account #${i}`);
  return id;
}

describe('per-account thresholds', () => {
  it('sets an override that the next sweep alerts on, and records who did it', async () => {
    // Arrange
    const id = account(0);
    h.sim.setBalance(id, '300.00000');

    const clock = () => Date.parse('2026-11-27T01:30:00.000Z');

    // Act
    const set = await run(
      thresholdsCommand,
      ['set', id, '--low', '500', '--critical', '50', '--by', 'alice'],
      { USER: 'tester' },
      clock,
    );
    const sweep = await h.sweepAt('2026-11-27T02:00:00.000Z');

    // Assert
    expect(set).toMatchObject({ code: 0, err: [] });
    expect(set.out).toContain(`${id} (`);
    expect(set.out).toContain(
      'thresholds low 500.00000, critical 50.00000 (was none); the next sweep uses them',
    );
    expect((await h.store.getState(id))?.override).toEqual({ low: '500.00000', critical: '50.00000' });
    expect(sweep.notifications.filter((n) => n.authId === id).map((n) => [n.type, n.thresholds.low])).toEqual(
      [['low', '500.00000']],
    );
    const [entry] = await h.finance.listAudit(1);
    expect(entry).toMatchObject({
      at: '2026-11-27T01:30:00.000Z',
      action: 'threshold.set',
      target: id,
      before: null,
      after: { low: '500.00000', critical: '50.00000' },
      by: 'alice',
    });
  });

  it('removes an override and keeps the old value in the audit', async () => {
    // Arrange
    const id = account(1);
    await run(thresholdsCommand, ['set', id, '--low', '42.5']);

    // Act
    const unset = await run(thresholdsCommand, ['unset', id, '--by', 'bob']);
    const again = await run(thresholdsCommand, ['unset', id, '--by', 'bob']);

    // Assert
    expect(unset.code).toBe(0);
    expect((await h.store.getState(id))?.override).toBeNull();
    const [entry] = await h.finance.listAudit(1);
    expect(entry).toMatchObject({
      action: 'threshold.unset',
      target: id,
      before: { low: '42.50000' },
      after: null,
      by: 'bob',
    });
    expect(again.out).toContain('has no own thresholds; nothing changed');
    expect((await h.finance.listAudit(1))[0]?.id).toBe(entry?.id);
  });

  it('retries on a conflict with a sweep writing the same item, keeping both changes', async () => {
    // Arrange
    const id = account(2);
    const before = await h.store.getState(id);
    let calls = 0;

    // Act: the first attempt loses to a write made between its read and its commit.
    const result = await h.finance.updateState(id, (state) => {
      calls += 1;
      return { ...state, override: { low: '7.00000' } };
    });
    const raced = await h.finance.updateState(id, async (state) => {
      calls += 1;
      if (calls === 2) {
        const competitor = { ...state, name: 'Renamed by a sweep', version: state.version + 1 };
        expect(await h.store.commit({ state: competitor, expectedVersion: state.version })).toBe('ok');
      }
      return { ...state, override: { low: '8.00000' } };
    });

    // Assert
    expect(result.kind).toBe('changed');
    expect(raced.kind).toBe('changed');
    const after = await h.store.getState(id);
    expect(after?.override).toEqual({ low: '8.00000' });
    expect(after?.name).toBe('Renamed by a sweep');
    expect(after?.version).toBe((before?.version ?? 0) + 3);
    expect(calls).toBe(3);
  });
});

describe('defaults', () => {
  it('stores a currency default that the next sweep uses', async () => {
    // Arrange
    const id = account(3);
    h.sim.setBalance(id, '900.00000');

    // Act
    const set = await run(thresholdsCommand, [
      'default',
      '--currency',
      'inr',
      '--low',
      '1000',
      '--by',
      'carol',
    ]);
    const sweep = await h.sweepAt('2026-11-27T03:00:00.000Z');
    await run(thresholdsCommand, ['default', '--currency', 'INR', '--unset', '--by', 'carol']);

    // Assert
    expect(set.out).toContain('the INR default: low 1000.00000 (was none); the next sweep uses it');
    expect(sweep.notifications.find((n) => n.authId === id)).toMatchObject({
      type: 'low',
      thresholds: { low: '1000.00000' },
    });
    const [unset, setEntry] = await h.finance.listAudit(2);
    expect(setEntry).toMatchObject({
      action: 'default.set',
      target: 'default:INR',
      before: null,
      after: { low: '1000.00000' },
    });
    expect(unset).toMatchObject({
      action: 'default.unset',
      target: 'default:INR',
      before: { low: '1000.00000' },
      after: null,
    });
    expect(await h.store.loadCurrencyDefaults()).toEqual({});
  });

  it('stores the global default under "*" next to the currency defaults', async () => {
    // Act
    const set = await run(thresholdsCommand, ['default', '--low', '5', '--critical', '1']);

    // Assert
    expect(set.out).toContain('the global default: low 5.00000, critical 1.00000');
    expect((await h.store.loadCurrencyDefaults())['*']).toEqual({ low: '5.00000', critical: '1.00000' });
    expect((await h.finance.listAudit(1))[0]).toMatchObject({ target: 'default:*', by: 'tester' });
    await run(thresholdsCommand, ['default', '--unset']);
  });

  it('loses neither of two defaults set at the same moment', async () => {
    // Act
    const results = await Promise.all(
      ['USD', 'GBP', 'AED', 'SGD'].map((c) =>
        run(thresholdsCommand, ['default', '--currency', c, '--low', '3']),
      ),
    );

    // Assert
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(Object.keys(await h.store.loadCurrencyDefaults()).sort()).toEqual(['AED', 'GBP', 'SGD', 'USD']);
    for (const c of ['USD', 'GBP', 'AED', 'SGD'])
      await run(thresholdsCommand, ['default', '--currency', c, '--unset']);
  });
});

describe('mutes', () => {
  it("holds an account's notifications back until the mute ends, then delivers them", async () => {
    // Arrange
    const id = account(4);
    const mute = await run(muteCommand, [
      id,
      '--until',
      '2026-11-28T00:00:00+05:30',
      '--reason',
      'disputed invoice',
      '--by',
      'dave',
      '--now',
      '2026-11-27T04:00:00Z',
    ]);
    h.sim.setBalance(id, '10.00000');

    // Act
    const muted = await h.sweepAt('2026-11-27T05:00:00.000Z');
    const ended = await h.sweepAt('2026-11-27T18:31:00.000Z');

    // Assert
    expect(mute.out).toContain(
      'muted until 2026-11-27T18:30:00.000Z; notifications are held back until then',
    );
    expect(muted.notifications.filter((n) => n.authId === id)).toEqual([]);
    expect(ended.notifications.filter((n) => n.authId === id).map((n) => n.type)).toEqual(['low']);
    expect((await h.finance.listAudit(1))[0]).toMatchObject({
      action: 'mute',
      target: id,
      before: null,
      after: { until: '2026-11-27T18:30:00.000Z', reason: 'disputed invoice' },
      by: 'dave',
    });
  });

  it('accepts a duration, lists the mute, and unmutes once', async () => {
    // Arrange
    const id = account(5);

    // Act
    const mute = await run(muteCommand, [
      id,
      '--until',
      '3d',
      '--reason',
      'migration',
      '--now',
      '2026-11-27T00:00:00Z',
    ]);
    const listed = await run(thresholdsCommand, [
      'list',
      '--format',
      'json',
      '--now',
      '2026-11-28T00:00:00Z',
    ]);
    const unmute = await run(unmuteCommand, [id, '--by', 'erin', '--now', '2026-11-28T00:00:00Z']);
    const again = await run(unmuteCommand, [id, '--by', 'erin']);

    // Assert
    expect(mute.code).toBe(0);
    const accounts = (
      JSON.parse(listed.out) as { accounts: Array<{ authId: string; mute: unknown; muteActive: boolean }> }
    ).accounts;
    expect(accounts.find((a) => a.authId === id)).toMatchObject({
      mute: { until: '2026-11-30T00:00:00.000Z', reason: 'migration' },
      muteActive: true,
    });
    expect(unmute.out).toContain('unmuted; held-back notifications go out with the next sweep');
    expect((await h.store.getState(id))?.mute).toBeNull();
    expect((await h.finance.listAudit(1))[0]).toMatchObject({
      action: 'unmute',
      before: { until: '2026-11-30T00:00:00.000Z', reason: 'migration' },
      after: null,
      by: 'erin',
    });
    expect(again.out).toContain('is not muted; nothing changed');
  });
});

describe('the list and the audit', () => {
  it('lists defaults and every account with its own thresholds', async () => {
    // Arrange
    const id = account(6);
    await run(thresholdsCommand, ['set', id, '--low', '250', '--critical', '25']);
    await run(thresholdsCommand, ['default', '--currency', 'USD', '--low', '5']);

    // Act
    const list = await run(thresholdsCommand, ['list']);
    await run(thresholdsCommand, ['default', '--currency', 'USD', '--unset']);

    // Assert
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^USD +5\.00000 +-$/m);
    expect(list.out).toMatch(new RegExp(`^${id} .* 250\\.00000 +25\\.00000`, 'm'));
  });

  it('prints the audit newest first', async () => {
    // Act
    const audit = await run(auditCommand, ['--limit', '2']);

    // Assert
    expect(audit.code).toBe(0);
    const lines = audit.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ tester default\.unset default:USD: low 5\.00000 -> none$/);
  });
});

describe('bad values', () => {
  const id = () => account(7);
  it.each([
    [['set', '@', '--low=-5'], /^vobiz-balance thresholds: --low must not be negative, got "-5"$/],
    [['set', '@', '--low', '10', '--critical=-1'], /--critical must not be negative/],
    [['set', '@', '--low', '10', '--now', '2026-11-27T00:00:00Z'], /--now does not apply to thresholds set/],
    [
      ['set', '@', '--low', 'abc'],
      /^vobiz-balance thresholds: --low must be a decimal amount such as 100 or 99\.50, got "abc"$/,
    ],
    [['set', '@', '--low', '1e3'], /--low must be a decimal amount/],
    [['set', '@', '--low', '10', '--critical', '20'], /--critical 20\.00000 is above --low 10\.00000/],
    [['set', '@', '--low', '1.123456'], /--low has more than 5 decimal places/],
    [['set', '@'], /--low <amount> is required/],
    [
      ['set', 'MA_NOBODY', '--low', '10'],
      /^vobiz-balance thresholds: unknown account MA_NOBODY: no sweep has recorded it in table finance-/,
    ],
    [['set', '@', '--low', '10', '--currency', 'INR'], /--currency does not apply to thresholds set/],
    [['default', '--currency', 'RUPEE', '--low', '1'], /--currency must be a three-letter ISO 4217 code/],
    [['default', '--low', '1', '--unset'], /--unset removes the default/],
    [['frobnicate'], /unknown subcommand "frobnicate"/],
    [['set', '@', '--lo', '5'], /^vobiz-balance thresholds: unknown option --lo \(see --help\)$/],
    [['set', '@', '--low', '-5'], /^vobiz-balance thresholds: --low must not be negative, got "-5"$/],
  ])('refuses thresholds %j with one line and writes nothing', async (args, message) => {
    // Arrange
    const before = await h.store.getState(id());
    const auditBefore = await h.finance.listAudit(1000);

    // Act
    const result = await run(
      thresholdsCommand,
      args.map((a) => (a === '@' ? id() : a)),
    );

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(message);
    expect(await h.store.getState(id())).toEqual(before);
    expect(await h.finance.listAudit(1000)).toEqual(auditBefore);
  });

  it.each([
    [
      ['--until', '2026-11-26T00:00:00Z', '--reason', 'x'],
      /--until 2026-11-26T00:00:00\.000Z is not in the future \(now is 2026-11-27T00:00:00\.000Z\)/,
    ],
    [['--until', 'tomorrow', '--reason', 'x'], /--until must be an ISO time with a zone .* or a duration/],
    [['--until', '2h', '--reason', '   '], /--reason <text> must say why the account is muted/],
    [['--until', '2h'], /--reason <text> must say why/],
    [['--reason', 'x'], /--until <time> is required/],
    [['--until', '400d', '--reason', 'x'], /is more than 366 days away/],
  ])('refuses mute %j with one line and writes nothing', async (args, message) => {
    // Arrange
    const before = await h.store.getState(id());

    // Act
    const result = await run(muteCommand, [id(), ...args, '--now', '2026-11-27T00:00:00Z']);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(/^vobiz-balance mute: /);
    expect(result.err[0]).toMatch(message);
    expect(await h.store.getState(id())).toEqual(before);
  });

  it('needs a name for the audit when USER is not set', async () => {
    // Act
    const result = await run(thresholdsCommand, ['set', id(), '--low', '10'], {});

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'vobiz-balance thresholds: --by <name> is required for the audit trail (USER is not set)',
    ]);
  });
});
