import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../functions/adapters/dynamodb/table.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { createRunGuard } from '../functions/handler/run-guard.ts';

/** The run lease and slot records, on dynalite (real conditional writes), with an injected clock. */

let dynamo: EmbeddedDynamo;
let t = Date.parse('2026-03-15T12:00:00Z');
const guard = () => createRunGuard({ client: dynamo.client, tableName: 'guard', now: () => t });

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo({ dataDir: null });
  await ensureTable(dynamo.client, 'guard');
});

afterAll(async () => {
  await dynamo.close();
});

describe('the run lease', () => {
  it('is refused to a second owner while the first holds it, and free again after its expiry or release', async () => {
    const g = guard();
    expect(await g.acquire('sweep-a', 60_000)).toBe(true);
    expect(await g.acquire('sweep-b', 60_000)).toBe(false);
    t += 61_000;
    expect(await g.acquire('sweep-b', 60_000)).toBe(true);
    await g.release('sweep-b');
    expect(await g.acquire('sweep-c', 60_000)).toBe(true);
    await g.release('sweep-c');
  });

  it('is granted again to its own owner, so a retried step does not lock itself out', async () => {
    const g = guard();
    expect(await g.acquire('sweep-retried', 60_000)).toBe(true);
    expect(await g.acquire('sweep-retried', 60_000)).toBe(true);
    expect(await g.acquire('sweep-other', 60_000)).toBe(false);
    await g.release('sweep-retried');
  });

  it('is released only by its owner', async () => {
    const g = guard();
    expect(await g.acquire('sweep-owner', 60_000)).toBe(true);
    await g.release('sweep-intruder');
    expect(await g.acquire('sweep-other', 60_000)).toBe(false);
    await g.release('sweep-owner');
  });
});

describe('slot records', () => {
  it('remember a finished slot, so a repeated delivery is recognised', async () => {
    const g = guard();
    expect(await g.slotFinished('2026-03-15T12:00:00.000Z')).toBe(false);
    await g.finishSlot('2026-03-15T12:00:00.000Z', 'sweep-a', true);
    expect(await g.slotFinished('2026-03-15T12:00:00.000Z')).toBe(true);
  });
});
