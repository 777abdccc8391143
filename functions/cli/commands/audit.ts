import { type AuditEntry, describeAudit } from '../../finance/audit.ts';
import { localDay } from '../../finance/calendar.ts';
import type { CsvColumn } from '../../finance/csv.ts';
import { resolveTimezone, TIMEZONE_OPTION, wholeNumber } from '../args.ts';
import { defineCommand } from '../command.ts';
import { withFinanceStore } from '../finance-reads.ts';
import { FILE_OUTPUT_OPTIONS, formatOptions, resolveFormat, writeOutput } from '../output.ts';
import { STORE_OPTIONS } from '../store-options.ts';

/** `audit`: changes to thresholds, defaults and mutes, newest first. */
export const audit = defineCommand({
  name: 'audit',
  summary: 'changes to thresholds, defaults and mutes, newest first',
  usage: 'audit [options]',
  description: 'Changes to thresholds, defaults and mutes, newest first.',
  options: {
    limit: { type: 'string', value: '<n>', help: 'at most this many entries (default 50)' },
    ...formatOptions(['table', 'csv', 'json']),
    ...FILE_OUTPUT_OPTIONS,
    ...TIMEZONE_OPTION,
    ...STORE_OPTIONS,
  },
  async run({ values, io }) {
    const limit = wholeNumber('--limit', values.limit, { min: 1, max: 100_000, fallback: 50 });
    const format = resolveFormat(values, ['table', 'csv', 'json']);
    const timezone = resolveTimezone(values.timezone);
    return withFinanceStore(values, io, 'UTC', async ({ store }) => {
      const entries = await store.listAudit(limit);
      await writeOutput(
        io,
        format,
        {
          json: () => entries,
          csv: { columns: auditCsv(timezone), rows: entries },
          table: () =>
            entries.length === 0 ? 'No changes recorded.' : entries.map(describeAudit).join('\n'),
        },
        { out: values.out, bom: !values['no-bom'] },
      );
      return 0;
    });
  },
});

function auditCsv(timezone: string): CsvColumn<AuditEntry>[] {
  return [
    { header: 'at', kind: 'text', value: (e) => e.at },
    { header: 'local_date', kind: 'text', value: (e) => localDay(e.at, timezone) },
    { header: 'action', kind: 'text', value: (e) => e.action },
    { header: 'target', kind: 'text', value: (e) => e.target },
    { header: 'before', kind: 'text', value: (e) => (e.before ? JSON.stringify(e.before) : '') },
    { header: 'after', kind: 'text', value: (e) => (e.after ? JSON.stringify(e.after) : '') },
    { header: 'by', kind: 'text', value: (e) => e.by },
  ];
}
