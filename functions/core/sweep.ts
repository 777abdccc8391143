import { type CustomerContext, claimInherited, nextAccountState } from './account-step.ts';
import { createRateLimiter, prefetch, realSleep, Semaphore } from './concurrency.ts';
import type { SweepConfig } from './config.ts';
import { type Delivery, deliver } from './delivery.ts';
import { CredentialsError, DeadlineError, FatalError, oneLine } from './errors.ts';
import { sameAmount } from './money.ts';
import { ownedBy } from './outbox.ts';
import type { RequestOptions, VobizPort } from './ports.ts';
import { analyseHistory } from './spend-history.ts';
import { customerContext, customerObservation, partnerContext, partnerObservation } from './step-context.ts';
import type { SweepDeps, SweepEvent, SweepOptions } from './sweep-types.ts';
import { countBalance, countFailure, countRunway, emptyTally, summarise } from './tally.ts';
import type { Account, AccountPage, AccountState, Snapshot, SweepSummary } from './types.ts';

/**
 * One sweep over every customer wallet. Primary course:
 * 1. page through the account list (one page ahead, with the page's stored states);
 * 2. read each balance with bounded concurrency (and an optional rate cap);
 * 3. take each account's step (account-step.ts) and write state + snapshot only when something
 *    changed, claiming any new notification in the same conditional write;
 * 4. deliver what this sweep owns on every channel, settling each accepted batch at once (delivery.ts);
 * 5. record the sweep and return its summary.
 */

export type { SweepDeps, SweepEvent, SweepOptions } from './sweep-types.ts';

const MAX_COMMIT_ATTEMPTS = 4;

export async function runSweep(deps: SweepDeps, options: SweepOptions): Promise<SweepSummary> {
  return new Sweep(deps, options).run();
}

class Sweep {
  private readonly clock: () => number;
  private readonly log: (event: SweepEvent) => void;
  private readonly config: SweepConfig;
  private readonly abort = new AbortController();
  private readonly startedMs: number;
  private readonly readDeadline: number | undefined;
  /** How each customer account is judged: set by `run` from the thresholds stored in the table. */
  private customer!: Omit<CustomerContext, 'now'>;
  private fatal: Error | null = null;
  private stoppedReason: string | null = null;
  private partner: SweepSummary['partner'] = null;
  private previousSweepAt: string | null = null;
  private listComplete = false;
  private readonly tally = emptyTally();
  /** Latest known state of each account that has notifications this sweep must deliver. */
  private readonly owned = new Map<string, AccountState>();

  constructor(
    private readonly deps: SweepDeps,
    private readonly options: SweepOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.log = deps.log ?? (() => {});
    this.config = options.config;
    this.startedMs = this.clock();
    this.readDeadline =
      options.deadline === undefined ? undefined : options.deadline - (options.publishReserveMs ?? 5_000);
  }

  private nowIso(): string {
    return this.options.now ?? new Date(this.clock()).toISOString();
  }

  private requestOptions(): RequestOptions {
    return { deadline: this.readDeadline, signal: this.abort.signal };
  }

  private pastReadDeadline(): boolean {
    return this.readDeadline !== undefined && this.clock() >= this.readDeadline;
  }

  private notReached(): void {
    this.tally.unreached++;
    if (!this.fatal) this.stop('deadline reached before every balance was read');
  }

  private stop(reason: string): void {
    if (this.stoppedReason) return;
    this.stoppedReason = reason;
    this.log({ type: 'stopping', reason });
  }

  async run(): Promise<SweepSummary> {
    const startedAt = this.options.now ?? new Date(this.startedMs).toISOString();
    const [stored, previousSweep] = await Promise.all([
      this.deps.store.loadCurrencyDefaults(),
      this.deps.store.lastSweepBefore(startedAt),
    ]);
    this.customer = customerContext(this.config, this.options.sweepId, stored);
    // Only a sweep that read every account vouches for each balance it did not see move.
    this.previousSweepAt = previousSweep?.complete ? previousSweep.startedAt : null;

    const partner = this.checkPartner();
    await this.readAll();
    await partner;
    if (this.fatal) return this.failWith(startedAt, this.fatal);

    const delivered = await deliver([...this.owned.values()], this.nowIso(), {
      notifier: this.deps.notifier,
      sweepId: this.options.sweepId,
      deadline: this.options.deadline,
      clock: this.clock,
      concurrency: this.config.concurrency,
      settle: (state, change) => this.save(state, (current) => unlessVanished(current, change)),
      log: this.log,
      stop: (reason) => this.stop(reason),
      storeFailed: (error) => this.storeFailed(error),
    });
    if (this.fatal) throw this.fatal;
    const summary = this.summary(startedAt, delivered);
    await this.deps.store.recordSweep(summary);
    return summary;
  }

  private async readAll(): Promise<void> {
    const slots = new Semaphore(this.config.concurrency);
    const writeSlots = new Semaphore(this.config.concurrency * 2);
    const rate = createRateLimiter(this.config.requestsPerSecond, this.clock, this.deps.sleep ?? realSleep);
    const inFlight = new Set<Promise<void>>();
    const requestOptions = this.requestOptions();

    try {
      for await (const { page, states } of prefetch(this.pagesWithStates(requestOptions))) {
        this.log({ type: 'page', page: page.page, newAccounts: page.accounts.length, total: page.total });
        for (const row of page.rejected) {
          this.tally.listed++;
          this.recordFailure(row.authId, row.reason);
        }
        for (const account of page.accounts) {
          this.tally.listed++;
          if (this.fatal || this.stoppedReason) {
            this.tally.unreached++;
            continue;
          }
          await slots.acquire();
          const task = (async () => {
            let reading = true;
            let writing = false;
            // The read slot is handed over to a write slot as soon as the balance is in: store
            // latency then never idles the API slots, while a backed-up store still holds reads back.
            const toWriting = async () => {
              await writeSlots.acquire();
              writing = true;
              slots.release();
              reading = false;
            };
            try {
              await rate.take();
              await this.processAccount(account, states.get(account.authId), requestOptions, toWriting);
            } finally {
              if (reading) slots.release();
              if (writing) writeSlots.release();
            }
          })();
          inFlight.add(task);
          void task.finally(() => inFlight.delete(task));
        }
        if (this.fatal) break;
        if (this.pastReadDeadline()) this.stop('deadline reached before the account list was finished');
        if (this.stoppedReason) break;
      }
      if (!this.fatal && !this.stoppedReason) this.listComplete = true;
    } catch (error) {
      if (error instanceof FatalError) this.fatal = error;
      else if (error instanceof DeadlineError) this.stop('deadline reached while listing accounts');
      else this.stop(`listing accounts failed: ${oneLine(error)}`);
    }
    await Promise.all(inFlight);
  }

  /**
   * The partner's master wallet funds every customer top-up, so it gets the same lifecycle
   * as a customer's, under its own notification types.
   */
  private async checkPartner(): Promise<void> {
    const threshold = this.options.partnerThreshold;
    if (threshold === undefined || threshold === null) return;
    try {
      const profile = await this.deps.vobiz.getPartner(this.requestOptions());
      const observation = partnerObservation(profile, this.nowIso());
      if (!observation) {
        this.recordFailure(profile.authId, 'the partner profile (/me) carries no balance');
        return;
      }
      const { authId, balance, currency } = observation;
      this.partner = { authId, balance, currency, level: 'UNKNOWN' };
      const context = partnerContext(this.config, this.options.sweepId, threshold);
      const [prev] = (await this.deps.store.loadStates([profile.authId])).values();
      const saved = await this.save(prev, (state) =>
        nextAccountState(state, observation, { ...context, now: this.nowIso() }),
      );
      if (saved) this.partner.level = saved.level;
    } catch (error) {
      if (error instanceof FatalError) this.failFatally(error);
      else if (!(error instanceof DeadlineError)) this.recordFailure('partner (/me)', oneLine(error));
    }
  }

  private async *pagesWithStates(
    requestOptions: RequestOptions,
  ): AsyncGenerator<{ page: AccountPage; states: Map<string, AccountState> }> {
    for await (const page of this.deps.vobiz.listAccounts(requestOptions)) {
      const states = await this.deps.store.loadStates(page.accounts.map((a) => a.authId));
      yield { page, states };
    }
  }

  private async processAccount(
    account: Account,
    prev: AccountState | undefined,
    requestOptions: RequestOptions,
    toWriting: () => Promise<void>,
  ): Promise<void> {
    if (this.fatal || this.pastReadDeadline()) return this.notReached();
    let result: Awaited<ReturnType<VobizPort['getBalance']>>;
    try {
      result = await this.deps.vobiz.getBalance(account.authId, requestOptions);
    } catch (error) {
      if (error instanceof FatalError) {
        this.failFatally(error);
        this.tally.unreached++;
      } else if (error instanceof DeadlineError || this.fatal) {
        this.notReached();
      } else {
        this.recordFailure(account.authId, oneLine(error));
        // A failed read never changes a level, but work left by an earlier sweep still gets picked up.
        await toWriting();
        if (prev)
          await this.save(prev, (state) =>
            unlessVanished(state, (s) => claimInherited(s, { ...this.customer, now: this.nowIso() })),
          ).catch((e) => this.storeFailed(e, account.authId));
      }
      return;
    }
    if (result.kind === 'gone') {
      this.tally.gone++;
      return;
    }
    this.tally.fetched++;
    await toWriting();
    countBalance(this.tally, result.balance.currency, result.balance.cashCredits);
    const observation = customerObservation(account, result.balance, this.nowIso(), this.config);
    try {
      // The runway can only shorten when the balance moves, so history is read only then.
      if (prev && observation.alertable && !sameAmount(prev.balance, observation.balance)) {
        const settings = this.customer.forecast;
        const history = analyseHistory(this.deps.store, prev, observation, this.previousSweepAt, settings);
        observation.analysis = await history.catch((error) => {
          // Looking ahead is a bonus: the level and its alert must never wait on it.
          this.log({ type: 'analysis-failed', authId: account.authId, reason: oneLine(error) });
          return null;
        });
      }
      const saved = await this.save(prev, (state) =>
        nextAccountState(state, observation, { ...this.customer, now: this.nowIso() }),
      );
      if (saved) {
        this.tally.levels[saved.level]++;
        countRunway(this.tally, saved, observation.observedAt);
      }
    } catch (error) {
      this.storeFailed(error, account.authId);
    }
  }

  /**
   * Applies `step` to the freshest state and writes it conditionally; on a conflict (another
   * writer got there first) it reloads and decides again, so two sweeps never both claim one transition.
   */
  private async save(
    initial: AccountState | undefined,
    step: (state: AccountState | undefined) => Step,
  ): Promise<AccountState | undefined> {
    let current = initial;
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const { state, changed, snapshot } = step(current);
      if (!state || !changed) return state;
      const expectedVersion = current ? current.version : null;
      const next = { ...state, version: (expectedVersion ?? 0) + 1 };
      const result = await this.deps.store.commit({
        state: next,
        expectedVersion,
        snapshot: snapshot ?? undefined,
      });
      if (result === 'ok') {
        this.tally.stateWrites++;
        if (snapshot) this.tally.snapshots++;
        if (ownedBy(next, this.options.sweepId).length > 0) this.owned.set(next.authId, next);
        return next;
      }
      this.log({ type: 'conflict', authId: state.authId, attempt });
      current = (await this.deps.store.loadStates([state.authId])).get(state.authId);
    }
    throw new Error(`the stored state kept changing under this sweep (${MAX_COMMIT_ATTEMPTS} attempts)`);
  }

  private recordFailure(authId: string | null, reason: string): void {
    countFailure(this.tally, { authId, reason });
    if (authId) this.log({ type: 'read-failed', authId, reason });
  }

  private storeFailed(error: unknown, authId: string | null = null): void {
    if (error instanceof FatalError) this.failFatally(error);
    else this.recordFailure(authId, `store: ${oneLine(error)}`);
  }

  private failFatally(error: FatalError): void {
    if (this.fatal) return;
    this.fatal = error;
    // In-flight requests would only burn time once the sweep cannot complete.
    this.abort.abort(error);
    this.stop(error instanceof CredentialsError ? 'partner credentials rejected' : oneLine(error));
  }

  /** Keeps a record of the failed sweep when the store still works, then fails. */
  private async failWith(startedAt: string, error: Error): Promise<never> {
    await this.deps.store
      .recordSweep(this.summary(startedAt, { delivered: [], pending: 0, channels: [] }))
      .catch(() => {});
    throw error;
  }

  private summary(startedAt: string, delivery: Delivery): SweepSummary {
    const finishedMs = this.clock();
    return summarise(this.tally, {
      sweepId: this.options.sweepId,
      startedAt,
      finishedAt: this.options.now ?? new Date(finishedMs).toISOString(),
      durationMs: finishedMs - this.startedMs,
      listComplete: this.listComplete,
      stoppedReason: this.stoppedReason,
      partner: this.partner,
      ...delivery,
    });
  }
}

type Step = { state: AccountState | undefined; changed: boolean; snapshot: Snapshot | null };

/** A step for work on an existing state: nothing to do if the state is not there. */
function unlessVanished(state: AccountState | undefined, change: (s: AccountState) => AccountState): Step {
  if (!state) return { state: undefined, changed: false, snapshot: null };
  const next = change(state);
  return { state: next, changed: next !== state, snapshot: null };
}
