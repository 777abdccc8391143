import { createDynamoStore, ensureTable } from '../../functions/adapters/dynamodb/store.ts';
import { startEmbeddedDynamo } from '../../functions/adapters/local/embedded-dynamo.ts';
import { createVobizClient, type VobizClientOptions } from '../../functions/adapters/vobiz/client.ts';
import { parseSweepConfig, type SweepConfigInput } from '../../functions/core/config.ts';
import { createNotifier } from '../../functions/core/notifier.ts';
import type { ChannelPort, PublishOptions, PublishOutcome, StorePort } from '../../functions/core/ports.ts';
import { runSweep, type SweepEvent, type SweepOptions } from '../../functions/core/sweep.ts';
import type { Notification } from '../../functions/core/types.ts';
import { type SimOptions, type Simulator, startSimulator } from '../../sim/server.ts';

/**
 * A real simulator over HTTP and a real DynamoDB (dynalite, in memory) for sweep tests.
 * The default channel is a stand-in, because it must be told to fail; a test may pass real ones.
 */
export interface Harness {
  sim: Simulator;
  store: ReturnType<typeof createDynamoStore>;
  notifier: RecordingChannel;
  sweep(
    options?: Partial<SweepOptions> & {
      settings?: SweepConfigInput;
      client?: Partial<VobizClientOptions>;
      /** The clock of the sweep and its client (deadlines), instead of the real one. */
      clock?: () => number;
      /** Instead of the recording channel. */
      channels?: ChannelPort[];
      /** Instead of the harness's store (a wrapper around it). */
      store?: StorePort;
      log?: (event: SweepEvent) => void;
    },
  ): ReturnType<typeof runSweep>;
  close(): Promise<void>;
}

/** Accepts everything (in batches of ten, settled one by one) and keeps it, or refuses everything. */
export class RecordingChannel implements ChannelPort {
  readonly name = 'recording';
  readonly delivered: Notification[] = [];
  /** While true every publish fails, as an unreachable SNS would. */
  failing = false;

  async publish(
    notifications: readonly Notification[],
    options: PublishOptions = {},
  ): Promise<PublishOutcome[]> {
    if (this.failing) return notifications.map((n) => ({ id: n.id, ok: false, error: 'SNS unavailable' }));
    for (let i = 0; i < notifications.length; i += 10) {
      const batch = notifications.slice(i, i + 10);
      this.delivered.push(...batch);
      await options.onAccepted?.(batch.map((n) => n.id));
    }
    return notifications.map((n) => ({ id: n.id, ok: true }));
  }
}

let sweepCounter = 0;

export async function startHarness(simOptions: SimOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ accounts: 60, seed: 11, ...simOptions });
  const dynamo = await startEmbeddedDynamo({ dataDir: null });
  await ensureTable(dynamo.client, 'test-table');
  const store = createDynamoStore({
    client: dynamo.client,
    tableName: 'test-table',
    retentionDays: 30,
    timezone: 'Asia/Kolkata',
  });
  const notifier = new RecordingChannel();
  return {
    sim,
    store,
    notifier,
    sweep: ({ settings, client, clock, channels, store: storeOverride, log, ...options } = {}) =>
      runSweep(
        {
          ...(clock ? { clock } : {}),
          ...(log ? { log } : {}),
          vobiz: createVobizClient({
            baseUrl: sim.url,
            authId: sim.partner.authId,
            authToken: sim.partner.authToken,
            timeoutMs: 2_000,
            backoffBaseMs: 1,
            backoffCapMs: 5,
            ...(clock ? { now: clock } : {}),
            ...client,
          }),
          store: storeOverride ?? store,
          notifier: createNotifier(channels ?? [notifier]),
        },
        { config: parseSweepConfig(settings ?? {}), sweepId: `sweep-${++sweepCounter}`, ...options },
      ),
    async close() {
      await sim.close();
      await dynamo.close();
    },
  };
}
