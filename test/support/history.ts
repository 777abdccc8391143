import { createFinanceStore, type FinanceStore } from '../../functions/adapters/dynamodb/finance-store.ts';
import { createDynamoStore, type DynamoStore, ensureTable } from '../../functions/adapters/dynamodb/store.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../functions/adapters/local/embedded-dynamo.ts';
import { createVobizClient } from '../../functions/adapters/vobiz/client.ts';
import type { CliIO } from '../../functions/cli/io.ts';
import { parseSweepConfig, type SweepConfigInput } from '../../functions/core/config.ts';
import { createNotifier } from '../../functions/core/notifier.ts';
import { runSweep } from '../../functions/core/sweep.ts';
import type { SweepSummary } from '../../functions/core/types.ts';
import { type SimOptions, type Simulator, startSimulator } from '../../sim/server.ts';
import { RecordingChannel } from './harness.ts';

/**
 * Balance histories built the way production builds them: the real sweep engine reading the
 * simulator over HTTP into dynalite, one sweep per chosen instant. The dynalite endpoint is
 * exposed so commands (in-process or as child processes) can read the same table.
 */
export interface HistoryFixture {
  sim: Simulator;
  dynamo: EmbeddedDynamo;
  endpoint: string;
  tableName: string;
  store: DynamoStore;
  finance: FinanceStore;
  notifier: RecordingChannel;
  /** One sweep observing every balance at `now`. */
  sweepAt(now: string, settings?: SweepConfigInput): Promise<SweepSummary>;
  /** Flags that point a command at this fixture's table. */
  storeArgs: string[];
  close(): Promise<void>;
}

let sweepCounter = 0;
let tableCounter = 0;

export async function startHistory(simOptions: SimOptions = {}): Promise<HistoryFixture> {
  const sim = await startSimulator({ accounts: 30, seed: 17, ...simOptions });
  const dynamo = await startEmbeddedDynamo({ dataDir: null });
  const tableName = `finance-${++tableCounter}`;
  await ensureTable(dynamo.client, tableName);
  const options = { client: dynamo.client, tableName, retentionDays: 400, timezone: 'Asia/Kolkata' };
  const store = createDynamoStore(options);
  const finance = createFinanceStore(options);
  const notifier = new RecordingChannel();
  const vobiz = createVobizClient({
    baseUrl: sim.url,
    authId: sim.partner.authId,
    authToken: sim.partner.authToken,
    timeoutMs: 2_000,
    backoffBaseMs: 1,
    backoffCapMs: 5,
  });
  return {
    sim,
    dynamo,
    endpoint: dynamo.endpoint,
    tableName,
    store,
    finance,
    notifier,
    sweepAt: (now, settings = {}) =>
      runSweep(
        { vobiz, store, notifier: createNotifier([notifier]) },
        { config: parseSweepConfig(settings), sweepId: `sweep-${++sweepCounter}`, now },
      ),
    storeArgs: ['--dynamodb-endpoint', dynamo.endpoint, '--table', tableName],
    async close() {
      await sim.close();
      await dynamo.close();
    },
  };
}

/** A CLI io that keeps what a command printed. */
export interface CapturedIO extends CliIO {
  out: string[];
  err: string[];
  /** Everything written to stdout, as one string. */
  text(): string;
}

export function capture(env: Record<string, string | undefined> = {}): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    env,
    stdout: (line) => out.push(`${line}\n`),
    stderr: (line) => err.push(line),
    write: (chunk) => out.push(chunk),
    text: () => out.join(''),
  };
}

/** Accounts of the simulator that the sweep alerts, with a plain balance (not postpaid, active, enabled). */
export function alertableIds(sim: Simulator): string[] {
  return sim.accountIds().filter((id) => {
    const a = sim.getAccount(id);
    return a && !a.postpaid && a.is_active && a.enabled;
  });
}
