import type { AccountObservation } from './account-step.ts';
import { claimInherited, nextAccountState } from './account-step.ts';
import type { SweepBudget } from './budget.ts';
import { CredentialsError, DeadlineError, FatalError, oneLine } from './errors.ts';
import { confirmationDue } from './list-source.ts';
import { AmountSums, sameAmount } from './money.ts';
import { ownedBy, stripClaim } from './outbox.ts';
import type { RequestOptions } from './ports.ts';
import { ACCOUNT, emptyResult, REACHED, type ShardResult } from './shard-result.ts';
import { analyseHistory } from './spend-history.ts';
import { commitStep, unlessVanished } from './state-commit.ts';
import { customerObservation, listedObservation, unlistedObservation } from './step-context.ts';
import type { SweepPlan } from './sweep-plan.ts';
import type { AccountOutcome, SweepDeps } from './sweep-types.ts';
import { countFailure, countRunway, summaryLevel } from './tally.ts';
import type { Account, AccountState, Balance, Notification, PendingNotification } from './types.ts';

/**
 * One part of a sweep at work: the per-account pipeline shared by the listing shards (shard-run.ts)
 * and the read of registered accounts the listing did not show (unlisted-run.ts). Primary course for
 * each account a worker takes:
 * 1. skip it if another part of the sweep already took it;
 * 2. take its balance: from the list row in list mode when the list is trusted and the account was
 *    seen before, else (or to confirm a level change) from the balance endpoint, under the budget's
 *    read slots and rate;
 * 3. take its step (account-step.ts) and commit it conditionally (state-commit.ts), claiming any new
 *    notification in the same write;
 * 4. count it, and report it as an `account` event.
 */

export interface PartOptions {
  /** Aborting it stops the part: the caller's interrupt, or (in-process) another part's fatal error. */
  signal?: AbortSignal;
  /**
   * Whose claims this part's notifications carry (default: the sweep's id). A part that delivers on
   * its own claims in its own name, so a neighbour that reads the same account never delivers them too.
   */
  claimant?: string;
  /** Epoch ms after which this part starts no balance read; default: the plan's. */
  readDeadline?: number;
}

/** One account handed to a worker. */
export interface Work {
  authId: string;
  /** The list row; null for an account read by id because the listing did not show it. */
  account: Account | null;
  prev: AccountState | undefined;
  /** The list page it came from; null when read by id. */
  page: number | null;
  /** On an edge page (shard-cut.ts): counted by id at the end, as a neighbour may read it too. */
  edge: boolean;
}

type BalanceRead =
  | { kind: 'ok'; balance: Balance }
  | { kind: 'gone' }
  | { kind: 'failed'; reason: string }
  | { kind: 'unreached' };

const UNREACHED: BalanceRead = { kind: 'unreached' };
const NONE: Notification[] = [];
/** Thrown out of a list-mode step that would change a level or notify: confirm with the endpoint first. */
const CONFIRM = Symbol('confirm with the balance endpoint');

export class SweepPart {
  readonly result: ShardResult;
  private readonly tally;
  private readonly sums = new AmountSums();
  private readonly claimed = new Map<string, AccountState>();
  private readonly own = new AbortController();
  /** Aborts this part's requests: the caller's signal, or its own on a fatal error. */
  readonly signal: AbortSignal;
  readonly requestOptions: RequestOptions;
  private readonly readDeadline: number | undefined;
  private readonly clock: () => number;
  private fatal: FatalError | null = null;
  /** The lowest list page holding an account this part did not get to. */
  private unreachedPage: number | null = null;
  /** The owner of this part's claims. */
  readonly claimant: string;
  /** How accounts are judged, with this part's claimant as the deciding sweep. */
  private readonly customer: SweepPlan['customer'];

  constructor(
    private readonly deps: SweepDeps,
    private readonly plan: SweepPlan,
    private readonly budget: SweepBudget,
    shard: number,
    kind: ShardResult['kind'],
    options: PartOptions,
  ) {
    this.result = emptyResult(shard, kind);
    this.tally = this.result.tally;
    this.clock = deps.clock ?? Date.now;
    this.signal = options.signal ? AbortSignal.any([options.signal, this.own.signal]) : this.own.signal;
    this.readDeadline = options.readDeadline ?? this.plan.readDeadline ?? undefined;
    this.claimant = options.claimant ?? plan.sweepId;
    this.customer = { ...plan.customer, sweepId: this.claimant };
    this.requestOptions = { deadline: this.readDeadline, signal: this.signal };
  }

  /** True once the part must take no more accounts; sets the reason the first time. */
  stopping(): boolean {
    if (this.result.stoppedReason !== null) return true;
    if (this.signal.aborted) {
      const reason: unknown = this.signal.reason;
      if (reason instanceof FatalError) this.stop(oneLine(reason));
      else {
        this.result.interrupted = true;
        this.stop('interrupted');
      }
      return true;
    }
    if (this.readDeadline !== undefined && this.clock() >= this.readDeadline) {
      this.stop('deadline reached before every balance was read');
      return true;
    }
    return false;
  }

  stop(reason: string): void {
    if (this.result.stoppedReason !== null) return;
    this.result.stoppedReason = reason;
    this.deps.log?.({ type: 'stopping', reason });
  }

  failFatally(error: FatalError): void {
    if (this.fatal) return;
    this.fatal = error;
    // In-flight requests would only burn time once the sweep cannot complete.
    this.own.abort(error);
    this.stop(error instanceof CredentialsError ? 'partner credentials rejected' : oneLine(error));
  }

  /** The fatal error that stopped this part, if one did: the caller rethrows it. */
  get fatalError(): FatalError | null {
    return this.fatal;
  }

  /** The first page this part did not complete, or null. */
  get firstUnreachedPage(): number | null {
    return this.unreachedPage;
  }

  /** An account this part listed (rejected rows with a readable id included). */
  listed(authId: string): void {
    this.budget.accounts.add(authId, ACCOUNT.listed);
  }

  /** A registered account no part listed: this part reads it by id. */
  known(authId: string): void {
    this.budget.accounts.add(authId, ACCOUNT.known);
  }

  /** A named or unnamed failure that is no account's read (a rejected list row, the store). */
  failure(authId: string | null, reason: string, edge = false): void {
    if (authId === null) {
      countFailure(this.tally, { authId, reason });
      this.result.unnamedFailures++;
      return;
    }
    this.reached(authId, ACCOUNT.failed);
    if (edge) this.result.edges.push({ authId, outcome: 'failed', reason });
    else countFailure(this.tally, { authId, reason });
    this.deps.log?.({ type: 'read-failed', authId, reason });
  }

  async process(work: Work): Promise<void> {
    if (this.stopping()) return this.unreached(work);
    if (this.budget.accounts.add(work.authId, ACCOUNT.taken) & ACCOUNT.taken) {
      return this.emit(work.authId, 'skipped', NONE);
    }
    const now = this.plan.now ?? new Date(this.clock()).toISOString();
    const listed = this.trustedListedBalance(work);
    if (listed !== null && work.account && work.prev) {
      const { writes } = this.budget;
      if (!writes.tryAcquire()) await writes.acquire();
      try {
        const observation = listedObservation(work.account, work.prev, listed, now, this.plan.config);
        if (await this.decide(work, observation, true)) return;
      } finally {
        writes.release();
      }
    }
    await this.fromEndpoint(work, now);
  }

  /**
   * The states owning notifications this part has not delivered, and its counts: its result. With a
   * budget of its own (Step Functions) the budget's book holds this part's accounts alone, and the
   * result carries them as id lists for finalize to merge with the other parts'.
   */
  finish(): ShardResult {
    const totals = this.sums.toRecord();
    for (const [currency, amount] of Object.entries(totals)) this.tally.totals[currency] = amount;
    this.result.claimed = [...this.claimed.values()];
    this.result.listFallback = this.budget.listTrust.lost;
    if (!this.budget.shared) {
      const { accounts } = this.budget;
      this.result.listed = accounts.ids(ACCOUNT.listed);
      this.result.known = accounts.ids(ACCOUNT.known);
      this.result.read = accounts.ids(ACCOUNT.read);
      this.result.gone = accounts.ids(ACCOUNT.gone);
      this.result.failed = accounts.ids(ACCOUNT.failed);
    }
    return this.result;
  }

  /** The listed balance when list mode may decide from it without a request; null otherwise. */
  private trustedListedBalance(work: Work): string | null {
    if (this.plan.balanceSource !== 'list' || this.budget.listTrust.lost) return null;
    const listed = work.account?.listedBalance ?? null;
    // First sight: the list row does not carry the currency for sure, so the endpoint is read once.
    if (listed === null || !work.prev) return null;
    return confirmationDue(work.authId, this.plan.slot, this.plan.confirmationCycle) ? null : listed;
  }

  private async fromEndpoint(work: Work, now: string): Promise<void> {
    const read = await this.readBalance(work.authId);
    if (read.kind === 'unreached') return this.unreached(work);
    // readBalance hands back a write slot for everything but `unreached`.
    try {
      if (read.kind === 'gone') return await this.gone(work);
      if (read.kind === 'failed') return await this.failedRead(work, read.reason, now);
      this.compareWithList(work, read.balance);
      const observation = work.account
        ? customerObservation(work.account, read.balance, now, this.plan.config)
        : unlistedObservation(work.prev, read.balance, now);
      await this.decide(work, observation, false);
    } finally {
      this.budget.writes.release();
    }
  }

  /**
   * Takes the account's step on this observation and commits it. From the list (`confirm`), a step
   * that would change the level or notify is not taken: false, and the caller reads the endpoint.
   */
  private async decide(work: Work, observation: AccountObservation, confirm: boolean): Promise<boolean> {
    const { prev } = work;
    try {
      // The runway can only shorten when the balance moves, so history is read only then.
      if (prev && observation.alertable && !sameAmount(prev.balance, observation.balance)) {
        observation.analysis = await analyseHistory(
          this.deps.store,
          prev,
          observation,
          this.plan.previousSweepAt,
          this.customer.forecast,
        ).catch((error) => {
          // Looking ahead is a bonus: the level and its alert must never wait on it.
          this.deps.log?.({ type: 'analysis-failed', authId: work.authId, reason: oneLine(error) });
          return null;
        });
      }
      let notifications: PendingNotification[] = [];
      const context = { ...this.customer, now: observation.observedAt };
      const saved = await this.commit(prev, (current) => {
        const step = nextAccountState(current, observation, context);
        if (
          confirm &&
          (step.notifications.length > 0 || step.state.level !== (current?.level ?? 'UNKNOWN'))
        ) {
          throw CONFIRM;
        }
        notifications = step.notifications;
        return step;
      });
      if (!saved) return true;
      this.reached(work.authId, ACCOUNT.read);
      if (work.edge) {
        this.result.edges.push({
          authId: work.authId,
          outcome: 'read',
          currency: saved.currency,
          balance: observation.balance,
          level: summaryLevel(saved),
        });
      } else {
        this.tally.fetched++;
        this.sums.add(saved.currency, observation.balance);
        this.tally.levels[summaryLevel(saved)]++;
      }
      countRunway(this.tally, saved, observation.observedAt);
      this.emit(work.authId, 'read', notifications.length > 0 ? notifications.map(stripClaim) : NONE);
    } catch (error) {
      if (error === CONFIRM) return false;
      this.storeFailed(error, work);
    }
    return true;
  }

  /** A failed read never changes a level, but work left by an earlier sweep still gets picked up. */
  private async failedRead(work: Work, reason: string, now: string): Promise<void> {
    this.failure(work.authId, reason, work.edge);
    this.emit(work.authId, 'failed', NONE);
    if (!work.prev) return;
    const context = { ...this.customer, now };
    await this.commit(work.prev, (state) => unlessVanished(state, (s) => claimInherited(s, context))).catch(
      (error: unknown) => {
        if (error instanceof FatalError) this.failFatally(error);
      },
    );
  }

  /** Gone (404 on its balance): recorded, not a failure, and out of the registry. */
  private async gone(work: Work): Promise<void> {
    this.reached(work.authId, ACCOUNT.gone);
    if (work.edge) this.result.edges.push({ authId: work.authId, outcome: 'gone' });
    else this.tally.gone++;
    this.emit(work.authId, 'gone', NONE);
    if (!work.prev) return;
    // Its state and history stay; written once more without the registry keys, it leaves the registry.
    const unregistered = (state: AccountState | undefined) => ({
      state,
      changed: state !== undefined,
      snapshot: null,
    });
    await commitStep(this.deps.store, work.prev, unregistered, this.onConflict, false)
      .then((saved) => {
        if (saved.written) this.tally.stateWrites++;
      })
      .catch((error: unknown) => {
        if (error instanceof FatalError) this.failFatally(error);
        else this.failure(null, `store: ${oneLine(error)}`);
      });
  }

  /**
   * Reads the balance under a read slot and the rate; for every outcome but `unreached` it returns
   * holding a write slot, taken before the read slot is given back.
   */
  private async readBalance(authId: string): Promise<BalanceRead> {
    const { reads, writes } = this.budget;
    if (!reads.tryAcquire()) await reads.acquire();
    try {
      // Checked again: many workers may have waited for a slot while the deadline passed.
      if (this.stopping()) return UNREACHED;
      const wait = this.budget.rate.take();
      if (wait) await wait;
      this.tally.balanceRequests++;
      let read: BalanceRead;
      try {
        const result = await this.deps.vobiz.getBalance(authId, this.requestOptions);
        read = result.kind === 'gone' ? result : { kind: 'ok', balance: result.balance };
      } catch (error) {
        if (error instanceof FatalError) {
          this.failFatally(error);
          return UNREACHED;
        }
        if (this.signal.aborted) {
          this.stopping();
          return UNREACHED;
        }
        if (error instanceof DeadlineError) {
          this.stop('deadline reached before every balance was read');
          return UNREACHED;
        }
        read = { kind: 'failed', reason: oneLine(error) };
      }
      if (!writes.tryAcquire()) await writes.acquire();
      return read;
    } finally {
      reads.release();
    }
  }

  /** List mode: every endpoint read of an account whose listed balance is at hand confirms (or not) the list. */
  private compareWithList(work: Work, balance: Balance): void {
    const listed = work.account?.listedBalance;
    if (this.plan.balanceSource !== 'list' || listed === null || listed === undefined) return;
    this.tally.listConfirmations++;
    const currencyMoved = work.prev !== undefined && work.prev.currency !== balance.currency;
    if (currencyMoved || !sameAmount(listed, balance.cashCredits)) {
      this.tally.listDisagreements++;
      this.budget.listTrust.disagreed();
    }
  }

  private async commit(
    initial: AccountState | undefined,
    step: Parameters<typeof commitStep>[2],
  ): Promise<AccountState | undefined> {
    const saved = await commitStep(this.deps.store, initial, step, this.onConflict);
    if (saved.written) {
      this.tally.stateWrites++;
      if (saved.snapshot) this.tally.snapshots++;
    }
    if (saved.state && ownedBy(saved.state, this.claimant).length > 0)
      this.claimed.set(saved.state.authId, saved.state);
    return saved.state;
  }

  private readonly onConflict = (authId: string, attempt: number) =>
    this.deps.log?.({ type: 'conflict', authId, attempt });

  private storeFailed(error: unknown, work: Work): void {
    if (error instanceof FatalError) this.failFatally(error);
    else this.failure(work.authId, `store: ${oneLine(error)}`, work.edge);
  }

  /** Read, gone or failed: in the book, and a duplicate if another part got there first. */
  private reached(authId: string, outcome: number): void {
    if (this.budget.accounts.add(authId, outcome) & REACHED) this.result.duplicates++;
  }

  private unreached(work: Work): void {
    this.tally.unreached++;
    if (work.page !== null && (this.unreachedPage === null || work.page < this.unreachedPage))
      this.unreachedPage = work.page;
  }

  private emit(authId: string, outcome: AccountOutcome, notifications: Notification[]): void {
    this.deps.log?.({ type: 'account', authId, outcome, notifications });
  }
}
