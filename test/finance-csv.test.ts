import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { history as historyCommand } from '../functions/cli/commands/history.ts';
import { statement as statementCommand } from '../functions/cli/commands/statement.ts';
import { type CsvColumn, neutraliseFormula, toCsv, UTF8_BOM } from '../functions/finance/csv.ts';
import { capture, type HistoryFixture, startHistory } from './support/history.ts';

/** A strict RFC 4180 reader, written here so the writer is checked against the RFC, not itself. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i += 1;
        if (text[i] !== ',' && text[i] !== '\r') throw new Error(`text after a closing quote at ${i}`);
      } else {
        field += ch;
        i += 1;
      }
    } else if (ch === '"') {
      if (field !== '') throw new Error(`a quote inside an unquoted field at ${i}`);
      quoted = true;
      i += 1;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (ch === '\r' || ch === '\n') {
      throw new Error(`a bare ${JSON.stringify(ch)} outside quotes at ${i}`);
    } else {
      field += ch;
      i += 1;
    }
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || record.length > 0) throw new Error('the last record has no CRLF');
  return records;
}

interface Row {
  name: string;
  balance: string;
}

const COLUMNS: CsvColumn<Row>[] = [
  { header: 'name', kind: 'text', value: (r) => r.name },
  { header: 'balance', kind: 'amount', value: (r) => r.balance },
];

function body(csv: string): string {
  expect(csv.startsWith(UTF8_BOM)).toBe(true);
  return csv.slice(UTF8_BOM.length);
}

describe('the CSV writer', () => {
  it('quotes commas, quotes, CR and LF, doubles quotes and ends every record with CRLF', () => {
    // Arrange
    const rows: Row[] = [
      { name: 'O\'Brien & Sons "Ltd"', balance: '1.00000' },
      { name: 'Acme, Inc', balance: '2.00000' },
      { name: 'Line\nBreak Ltd', balance: '3.00000' },
      { name: 'Carriage\r\nReturn', balance: '4.00000' },
    ];

    // Act
    const csv = body(toCsv(COLUMNS, rows));

    // Assert
    expect(csv).toBe(
      'name,balance\r\n"O\'Brien & Sons ""Ltd""",1.00000\r\n"Acme, Inc",2.00000\r\n"Line\nBreak Ltd",3.00000\r\n"Carriage\r\nReturn",4.00000\r\n',
    );
  });

  it.each([
    ['=HYPERLINK("http://evil.example","click")', `'=HYPERLINK("http://evil.example","click")`],
    ['+91 22 1234', "'+91 22 1234"],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ['@SUM(1+1)*cmd', "'@SUM(1+1)*cmd"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', "'\r=1+1"],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['Plain = fine', 'Plain = fine'],
  ])('neutralises the text cell %j', (text, expected) => {
    // Act
    const records = parseCsv(body(toCsv(COLUMNS, [{ name: text, balance: '1.00000' }])));

    // Assert
    expect(neutraliseFormula(text)).toBe(expected);
    expect(records[1]?.[0]).toBe(expected);
  });

  it('leaves negative amounts as numbers, and treats a non-decimal in an amount column as text', () => {
    // Act
    const csv = body(
      toCsv(COLUMNS, [
        { name: 'Debtor', balance: '-12.50000' },
        { name: 'Odd', balance: '=1+1' },
      ]),
    );

    // Assert
    expect(csv).toContain('\r\nDebtor,-12.50000\r\n');
    expect(csv).toContain("\r\nOdd,'=1+1\r\n");
  });

  it('writes names in any script as UTF-8 behind a byte order mark, or without one when asked', () => {
    // Arrange
    const rows = [
      { name: 'श्री गणेश टेलीकॉम', balance: '1.00000' },
      { name: 'தமிழ் நிறுவனம்', balance: '2.00000' },
      { name: '北京电信', balance: '3.00000' },
      { name: '\u200fشركة الاتصالات', balance: '4.00000' },
      { name: '📞 Calls', balance: '5.00000' },
    ];

    // Act
    const withBom = Buffer.from(toCsv(COLUMNS, rows), 'utf8');
    const without = toCsv(COLUMNS, rows, { bom: false });

    // Assert
    expect([...withBom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(
      parseCsv(withBom.toString('utf8').slice(1))
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(rows.map((r) => r.name));
    expect(without.startsWith('name,')).toBe(true);
  });

  it('round-trips any text through a strict RFC 4180 reader, neutralised or unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 8 }), (names) => {
        // Act
        const records = parseCsv(
          body(
            toCsv(
              COLUMNS,
              names.map((name) => ({ name, balance: '0.00000' })),
            ),
          ),
        );

        // Assert
        expect(records.slice(1).map((r) => r[0])).toEqual(names.map(neutraliseFormula));
        for (const r of records) expect(r).toHaveLength(2);
      }),
      { numRuns: 300 },
    );
  });
});

describe('CSV exports of the history', () => {
  let h: HistoryFixture;
  let evil: string;

  beforeAll(async () => {
    h = await startHistory({ accounts: 5 });
    evil = h.sim.addAccount({
      name: '=cmd|\'/C calc\'!A0, "x"',
      cash_credits: '-12.50000',
      country: 'IN',
    }).auth_id;
    await h.sweepAt('2026-11-27T18:29:00.000Z');
    h.sim.setBalance(evil, '-0.00001');
    await h.sweepAt('2026-11-27T18:31:00.000Z');
  });

  afterAll(async () => {
    await h.close();
  });

  it('neutralises a formula in a name, keeps negative balances numeric and adds the partner-local date', async () => {
    // Arrange
    const io = capture();

    // Act
    const code = await historyCommand.run([evil, '--format', 'csv', ...h.storeArgs], io);

    // Assert
    expect(code).toBe(0);
    const records = parseCsv(body(io.text()));
    expect(records).toEqual([
      ['auth_id', 'name', 'currency', 'balance', 'level', 'observed_at', 'local_date', 'sweep_id'],
      [
        evil,
        `'=cmd|'/C calc'!A0, "x"`,
        'INR',
        '-0.00001',
        'CRITICAL',
        '2026-11-27T18:31:00.000Z',
        '2026-11-28',
        expect.any(String),
      ],
      [
        evil,
        `'=cmd|'/C calc'!A0, "x"`,
        'INR',
        '-12.50000',
        'CRITICAL',
        '2026-11-27T18:29:00.000Z',
        '2026-11-27',
        expect.any(String),
      ],
    ]);
    expect(io.text()).toContain(`,"'=cmd|'/C calc'!A0, ""x""",INR,-0.00001,`);
  });

  it('writes a statement as CSV with exact amounts in numeric columns', async () => {
    // Arrange
    const io = capture();

    // Act
    const code = await statementCommand.run(
      ['--month', '2026-11', '--account', evil, '--format', 'csv', '--no-bom', ...h.storeArgs],
      io,
    );

    // Assert
    expect(code).toBe(0);
    const [header, row] = parseCsv(io.text());
    const record = Object.fromEntries((header ?? []).map((k, i) => [k, row?.[i]]));
    expect(record).toMatchObject({
      opening: '-12.50000',
      opening_source: 'first-observation',
      top_ups: '12.49999',
      spend: '0.00000',
      closing: '-0.00001',
      expected_closing: '-0.00001',
      check: 'ok',
    });
  });
});
