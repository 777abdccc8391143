import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import type { ArchiveIndex, PageWriter } from '../../core/archive.ts';
import { FatalError } from '../../core/errors.ts';
import type { Snapshot } from '../../core/types.ts';
import { snapshotFromLine, snapshotToLine } from './snapshot-line.ts';

/**
 * The bytes of the archive's files, shared by the folder and S3 adapters: a day file is gzip'd
 * JSON Lines, the index is gzip'd JSON. Days are built in memory compressed (a day of 200,000
 * accounts is some tens of MB gzip'd), so a failure midway leaves nothing half-written.
 */

const PAGE = 1_000;
const INDEX_FORMAT = 1;

export async function encodeDay(
  day: string,
  fill: (write: PageWriter) => Promise<void>,
): Promise<{ body: Buffer; snapshots: number }> {
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(gzip, 'end');
  // Until awaited below, a rejection here (after a failed fill) must not count as unhandled.
  ended.catch(() => {});
  let snapshots = 0;
  try {
    await fill(async (page) => {
      if (page.length === 0) return;
      let text = '';
      for (const s of page) {
        if (s.localDay !== day) {
          throw new Error(
            `snapshot of ${s.authId} at ${s.observedAt} belongs to ${s.localDay}, not to ${day}`,
          );
        }
        text += `${snapshotToLine(s)}\n`;
      }
      snapshots += page.length;
      if (!gzip.write(text)) await once(gzip, 'drain');
    });
  } catch (error) {
    gzip.destroy();
    throw error;
  }
  gzip.end();
  await ended;
  return { body: Buffer.concat(chunks), snapshots };
}

/** Streams a day file's snapshots to `visit` in pages; `where` names the file in errors. */
export async function decodeDay(
  source: Readable,
  where: string,
  day: string,
  visit: (page: Snapshot[]) => void,
): Promise<void> {
  try {
    await readLines(source, where, day, visit);
  } catch (error) {
    // A damaged file (zlib's "incorrect header check") is named like any other bad file.
    if (error instanceof FatalError) throw error;
    throw new FatalError(`${where}: ${(error as Error).message}`);
  }
}

async function readLines(
  source: Readable,
  where: string,
  day: string,
  visit: (page: Snapshot[]) => void,
): Promise<void> {
  // The pipeline reports its own abort when this function throws: keep the reason to rethrow it.
  let reason: unknown;
  const consume = async (chunks: AsyncIterable<Buffer>) => {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let lineNumber = 0;
    let page: Snapshot[] = [];
    const take = (line: string) => {
      lineNumber += 1;
      if (line === '') return;
      const snapshot = snapshotFromLine(line, `${where} line ${lineNumber}`);
      if (snapshot.localDay !== day) {
        throw new FatalError(
          `${where} line ${lineNumber}: local_day ${snapshot.localDay} is not the file's day ${day}`,
        );
      }
      page.push(snapshot);
      if (page.length >= PAGE) {
        visit(page);
        page = [];
      }
    };
    for await (const chunk of chunks) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) take(line);
    }
    rest += decoder.end();
    if (rest !== '') take(rest);
    if (page.length > 0) visit(page);
  };
  try {
    await pipeline(source, createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
      try {
        await consume(chunks);
      } catch (error) {
        reason = error;
        throw error;
      }
    });
  } catch (error) {
    throw reason ?? error;
  }
}

export function encodeIndex(index: ArchiveIndex): Buffer {
  const accounts = [...index.accounts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([authId, span]) => [authId, [span.first, span.last]]);
  return gzipSync(
    JSON.stringify({
      format: INDEX_FORMAT,
      exportedThrough: index.exportedThrough,
      accounts: Object.fromEntries(accounts),
    }),
  );
}

export function decodeIndex(bytes: Uint8Array, where: string): ArchiveIndex {
  let value: unknown;
  try {
    value = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch (error) {
    throw new FatalError(`${where} is not a gzip'd JSON index: ${(error as Error).message}`);
  }
  const record = value as { format?: unknown; exportedThrough?: unknown; accounts?: unknown };
  if (record?.format !== INDEX_FORMAT)
    throw new FatalError(`${where} has an unknown format ${String(record?.format)}`);
  const through = record.exportedThrough;
  if (through !== null && (typeof through !== 'string' || !isDayText(through))) {
    throw new FatalError(`${where}: exportedThrough is not a day`);
  }
  if (typeof record.accounts !== 'object' || record.accounts === null)
    throw new FatalError(`${where}: accounts is not a map`);
  const accounts = new Map<string, { first: string; last: string }>();
  for (const [authId, span] of Object.entries(record.accounts)) {
    const [first, last] = Array.isArray(span) ? span : [];
    if (typeof first !== 'string' || typeof last !== 'string' || !isDayText(first) || !isDayText(last)) {
      throw new FatalError(`${where}: the span of ${authId} is not two days`);
    }
    accounts.set(authId, { first, last });
  }
  return { exportedThrough: through, accounts };
}

function isDayText(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text);
}
