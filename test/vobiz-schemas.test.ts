import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountRow,
  balanceBody,
  parseBalance,
  plainBalance,
  plainRow,
} from '../functions/adapters/vobiz/schemas.ts';
import { startSimulator } from '../sim/server.ts';

/** Field values a balance body may carry: the well formed ones and the ways they go wrong. */
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.constantFrom({}, { a: 1 }),
);
const authIds = fc.oneof(fc.constantFrom('MA_ABC12345', '', ' ', 'ma_x'), anyValue);
const amounts = fc.oneof(
  fc.constantFrom(
    '1300.00000',
    '-12.50000',
    '0',
    ' 7.5 ',
    '-0.00000',
    '+3.00000',
    '1e3',
    '12.',
    '.5',
    '00012.30000',
    `${'9'.repeat(33)}.12345`,
    `${'9'.repeat(34)}.12345`,
    '',
  ),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc
    .tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.nat(99_999))
    .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(5, '0')}`),
  anyValue,
);
const currencies = fc.oneof(fc.constantFrom('INR', 'USD', 'inr', 'INRR', 'IN', ' INR'), anyValue);
const instants = fc.oneof(
  fc.constantFrom(
    '2026-05-07T11:54:13.620089+00:00',
    '2026-03-25T10:00:00Z',
    '2026-03-25T10:00:00',
    '2026-02-30T10:00:00Z',
    'yesterday',
    '',
  ),
  anyValue,
);
const names = fc.oneof(fc.string(), anyValue);

const bodies = fc.oneof(
  fc.record(
    { auth_id: authIds, name: names, cash_credits: amounts, currency: currencies, updated_at: instants },
    { requiredKeys: [] },
  ),
  fc.record({ extra: fc.string(), auth_id: authIds }),
  anyValue,
);

const flags = fc.oneof(fc.boolean(), anyValue);
const rows = fc.oneof(
  fc.record(
    {
      auth_id: authIds,
      name: names,
      email: names,
      country: names,
      postpaid: flags,
      is_active: flags,
      enabled: flags,
      cash_credits: amounts,
      created_at: instants,
      auth_token: fc.string(),
    },
    { requiredKeys: [] },
  ),
  anyValue,
);

describe('the list row fast path', () => {
  it('accepts only what the zod schema accepts, with the same result', () => {
    fc.assert(
      fc.property(rows, (row) => {
        const fast = plainRow(row);
        if (fast === null) return;
        const zod = accountRow.safeParse(row);
        expect(zod.success).toBe(true);
        expect(fast).toEqual(zod.data);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('the balance fast path', () => {
  it('accepts only what the zod schema accepts, with the same result', () => {
    fc.assert(
      fc.property(bodies, (body) => {
        const fast = plainBalance(body);
        if (fast === null) return;
        const zod = balanceBody.safeParse(body);
        expect(zod.success).toBe(true);
        expect(fast).toEqual(zod.data);
      }),
      { numRuns: 5_000 },
    );
  });

  it('takes every balance and list row the simulator serves, so the sweep does not pay for zod', async () => {
    const sim = await startSimulator({ accounts: 300, seed: 5 });
    try {
      const list = await fetch(`${sim.url}/api/v1/partner/accounts?per_page=100`, {
        headers: { 'X-Auth-ID': sim.partner.authId, 'X-Auth-Token': sim.partner.authToken },
      });
      const { accounts } = (await list.json()) as { accounts: unknown[] };
      expect(accounts.filter((row) => plainRow(row) === null)).toEqual([]);

      const bodies = await Promise.all(
        sim.accountIds().map(async (id) => {
          const response = await fetch(`${sim.url}/api/v1/partner/accounts/${id}/balance`, {
            headers: { 'X-Auth-ID': sim.partner.authId, 'X-Auth-Token': sim.partner.authToken },
          });
          return response.json();
        }),
      );

      expect(bodies.filter((body) => plainBalance(body) === null)).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('leaves a malformed body to zod, whose message names the field', () => {
    const body = { auth_id: 'MA_X', cash_credits: 12.5, currency: 'INR' };

    expect(plainBalance(body)).toBeNull();
    expect(() => parseBalance(body, 'MA_X')).toThrow(
      'balance of MA_X: cash_credits must be a decimal string, got number',
    );
  });
});
