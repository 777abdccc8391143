import { createDynamoStore, ensureTable } from '../../functions/adapters/dynamodb/store.ts';
import { startEmbeddedDynamo } from '../../functions/adapters/local/embedded-dynamo.ts';
import { createVobizClient, type VobizClientOptions } from '../../functions/adapters/vobiz/client.ts';
import { parseSweepConfig, type SweepConfigInput } from '../../functions/core/config.ts';
import type { NotifierPort, PublishOutcome } from '../../functions/core/ports.ts';
import { runSweep, type SweepOptions } from '../../functions/core/sweep.ts';
import type { Notification } from '../../functions/core/types.ts';
import { type SimOptions, type Simulator, startSimulator } from '../../sim/server.ts';

/**
 * A real simulator over HTTP and a real DynamoDB (dynalite, in memory) for sweep tests.
 * Only the notifier is a stand-in, because it must be told to fail.
 */
export interface Harness {
  sim: Simulator;
  store: ReturnType<typeof createDynamoStore>;
  notifier: RecordingNotifier;
  sweep(
    options?: Partial<SweepOptions> & {
      settings?: SweepConfigInput;
      client?: Partial<VobizClientOptions>;
      /** The clock of the sweep and its client (deadlines), instead of the real one. */
      clock?: () => number;
    },
  ): ReturnType<typeof runSweep>;
  close(): Promise<void>;
}

export class RecordingNotifier implements NotifierPort {
  readonly delivered: Notification[] = [];
  /** While true every publish fails, as an unreachable SNS would. */
  failing = false;

  async publish(notifications: readonly Notification[]): Promise<PublishOutcome[]> {
    if (this.failing) return notifications.map((n) => ({ id: n.id, ok: false, error: 'SNS unavailable' }));
    this.delivered.push(...notifications);
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
  const notifier = new RecordingNotifier();
  return {
    sim,
    store,
    notifier,
    sweep: ({ settings, client, clock, ...options } = {}) =>
      runSweep(
        {
          ...(clock ? { clock } : {}),
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
          store,
          notifier,
        },
        { config: parseSweepConfig(settings ?? {}), sweepId: `sweep-${++sweepCounter}`, ...options },
      ),
    async close() {
      await sim.close();
      await dynamo.close();
    },
  };
}
