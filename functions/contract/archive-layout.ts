/**
 * The history archive's layout, in one place: the archive adapters write and read it, the
 * stack's Glue table describes it to Athena, so the two cannot drift. Plain data.
 *
 *   <root>/snapshots/day=YYYY-MM-DD/snapshots.jsonl.gz   one partner-local day: JSON Lines, gzip,
 *                                                        sorted by account, then time (the byDay order)
 *   <root>/index.json.gz        the days exported so far and each account's first and last archived day
 *   <root>/scratch/             short-lived data of one sweep (the bucket deletes it after a day)
 *   <root>/athena-results/      Athena query results (deleted after a week)
 *
 * <root> is a folder locally (`<data-dir>/archive/` by default) and the bucket in the cloud.
 */

export const ARCHIVE_LAYOUT = {
  /** Where the day partitions live: the Glue table's location. */
  snapshotsPrefix: 'snapshots/',
  /** The partition column, and the folder name's `<key>=` part. */
  partitionKey: 'day',
  /** The one file of a day partition. */
  dayFile: 'snapshots.jsonl.gz',
  index: 'index.json.gz',
  scratchPrefix: 'scratch/',
  athenaResultsPrefix: 'athena-results/',
} as const;

/** The key (or relative path) of a day's file. */
export function dayFileKey(day: string): string {
  return `${ARCHIVE_LAYOUT.snapshotsPrefix}${ARCHIVE_LAYOUT.partitionKey}=${day}/${ARCHIVE_LAYOUT.dayFile}`;
}

/** Reads the day back from a key written by dayFileKey; null for any other key. */
export function dayOfKey(key: string): string | null {
  const match = /(?:^|\/)snapshots\/day=(\d{4}-\d{2}-\d{2})\/snapshots\.jsonl\.gz$/.exec(key);
  return match ? (match[1] as string) : null;
}

export interface ArchiveColumn {
  /** The JSON key in each line and the Glue column name. */
  readonly name: string;
  /** Glue (Hive) type. */
  readonly type: 'string';
  readonly comment: string;
}

/**
 * One line of a day file is one snapshot with exactly these keys, every value a JSON string:
 * amounts stay exact decimals, times stay the ISO text the table holds.
 */
export const ARCHIVE_COLUMNS: readonly ArchiveColumn[] = [
  { name: 'auth_id', type: 'string', comment: 'customer account (auth_id)' },
  { name: 'name', type: 'string', comment: 'account name when observed' },
  { name: 'currency', type: 'string', comment: 'ISO currency code' },
  {
    name: 'balance',
    type: 'string',
    comment: 'exact decimal as the API wrote it (e.g. 1234.50000): CAST(balance AS DECIMAL(38,5))',
  },
  {
    name: 'observed_at',
    type: 'string',
    comment: 'ISO 8601 UTC instant of the reading: from_iso8601_timestamp(observed_at)',
  },
  {
    name: 'local_day',
    type: 'string',
    comment: "partner-local day of observed_at (equals the partition's day)",
  },
  { name: 'level', type: 'string', comment: 'UNKNOWN, OK, LOW or CRITICAL' },
  { name: 'sweep_id', type: 'string', comment: 'the sweep that observed it' },
];

/** The environment variable that names the archive bucket to a function. */
export const ARCHIVE_ENV = { bucket: 'ARCHIVE_BUCKET' } as const;

/** The daily export's Lambda entry. */
export const ARCHIVE_HANDLER = { entry: 'functions/archive-days.ts', export: 'handler' } as const;
