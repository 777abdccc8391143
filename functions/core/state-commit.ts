import type { StorePort } from './ports.ts';
import type { AccountState, Snapshot } from './types.ts';

/**
 * The one way a sweep writes an account's state: apply a step to the freshest state and write it
 * conditionally on the version read; on a conflict (another writer got there first) reload with a
 * strongly consistent read and decide again, so two sweeps never both claim one transition. This is
 * also why the sweep may load a page's states with eventually consistent reads: a stale state can
 * only lose its conditional write and be decided again on the fresh one.
 */

export const MAX_COMMIT_ATTEMPTS = 4;

export type Step = { state: AccountState | undefined; changed: boolean; snapshot: Snapshot | null };

export interface Committed {
  /** The state as stored now (undefined: there is none). */
  state: AccountState | undefined;
  /** This call wrote it. */
  written: boolean;
  snapshot: boolean;
}

export async function commitStep(
  store: Pick<StorePort, 'commit' | 'loadStates'>,
  initial: AccountState | undefined,
  step: (state: AccountState | undefined) => Step,
  onConflict: (authId: string, attempt: number) => void,
  register = true,
): Promise<Committed> {
  let current = initial;
  for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
    const { state, changed, snapshot } = step(current);
    if (!state || !changed) return { state, written: false, snapshot: false };
    const expectedVersion = current ? current.version : null;
    const next = { ...state, version: (expectedVersion ?? 0) + 1 };
    const result = await store.commit({
      state: next,
      expectedVersion,
      snapshot: snapshot ?? undefined,
      register,
    });
    if (result === 'ok') return { state: next, written: true, snapshot: snapshot !== null };
    onConflict(state.authId, attempt);
    current = (await store.loadStates([state.authId])).get(state.authId);
  }
  throw new Error(`the stored state kept changing under this sweep (${MAX_COMMIT_ATTEMPTS} attempts)`);
}

/** A step for work on an existing state: nothing to do if the state is not there. */
export function unlessVanished(
  state: AccountState | undefined,
  change: (s: AccountState) => AccountState,
): Step {
  if (!state) return { state: undefined, changed: false, snapshot: null };
  const next = change(state);
  return { state: next, changed: next !== state, snapshot: null };
}
