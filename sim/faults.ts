import { Prng } from './prng.ts';

/** Fault injection: which faults exist, how a spec is validated, and which one fires for a request. */

export const FAULT_KINDS = [
  'rate-limit',
  'server-error',
  'reset',
  'hang',
  'truncated',
  'drift',
  'insert-while-paging',
  'remove-while-paging',
] as const;
export const FAULT_ROUTES = ['list', 'balance', 'account', 'me', 'any'] as const;
export const DRIFT_KINDS = [
  'extra-fields',
  'missing-optional',
  'number-balance',
  'missing-balance',
  'wrong-envelope',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultRoute = (typeof FAULT_ROUTES)[number];
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  route?: FaultRoute;
  authId?: string;
  times?: number;
  probability?: number;
  retryAfter?: 'seconds' | 'http-date' | 'none';
  retryAfterSeconds?: number;
  status?: number;
  drift?: DriftKind;
  count?: number;
}

/** Every API route the simulator serves; faults address the first four (or 'any'). */
export type RouteName = 'list' | 'balance' | 'account' | 'me' | 'create' | 'unknown';

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

const KEYS = new Set([
  'kind',
  'route',
  'authId',
  'times',
  'probability',
  'retryAfter',
  'retryAfterSeconds',
  'status',
  'drift',
  'count',
]);

/** Checks a spec from code or from JSON; the message names the bad field. */
export function validateFault(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultSpecError('fault must be an object');
  }
  const spec = input as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!KEYS.has(key)) throw new FaultSpecError(`fault has an unknown field: ${key}`);
  }
  const oneOf = <T extends string>(field: string, allowed: readonly T[], required = false): void => {
    const value = spec[field];
    if (value === undefined && !required) return;
    if (!allowed.includes(value as T)) {
      throw new FaultSpecError(
        `fault ${field} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`,
      );
    }
  };
  const integer = (field: string, min: number, max: number): void => {
    const value = spec[field];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new FaultSpecError(`fault ${field} must be an integer from ${min} to ${max}`);
    }
  };
  oneOf('kind', FAULT_KINDS, true);
  oneOf('route', FAULT_ROUTES);
  oneOf('retryAfter', ['seconds', 'http-date', 'none']);
  oneOf('drift', DRIFT_KINDS);
  integer('times', 0, Number.MAX_SAFE_INTEGER);
  integer('retryAfterSeconds', 0, 86_400);
  integer('status', 100, 599);
  integer('count', 1, 100_000);
  const p = spec.probability;
  if (p !== undefined && (typeof p !== 'number' || !(p >= 0 && p <= 1))) {
    throw new FaultSpecError('fault probability must be a number from 0 to 1');
  }
  if (spec.authId !== undefined && (typeof spec.authId !== 'string' || spec.authId === '')) {
    throw new FaultSpecError('fault authId must be a non-empty string');
  }
  if (spec.kind === 'drift' && spec.drift === undefined) {
    throw new FaultSpecError(`fault drift is required for kind drift (one of ${DRIFT_KINDS.join(', ')})`);
  }
  return { ...(spec as unknown as FaultSpec) };
}

interface Armed {
  spec: FaultSpec;
  remaining: number;
}

export interface RequestFacts {
  route: RouteName;
  /** The account the request is about (balance and account routes). */
  authId?: string;
}

export class FaultBook {
  private armed: Armed[] = [];
  private readonly rng: Prng;

  constructor(seed: number) {
    this.rng = new Prng(seed, 5);
  }

  add(spec: FaultSpec): void {
    const valid = validateFault(spec);
    this.armed.push({ spec: valid, remaining: valid.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.armed = [];
  }

  get size(): number {
    return this.armed.length;
  }

  /**
   * Every armed fault of the given kinds that applies to the request and wins its draw, in
   * the order they were added; each one returned has used up one of its `times`.
   * `first` stops at the first one (faults that end the request cannot combine).
   */
  fire(kinds: readonly FaultKind[], facts: RequestFacts, first = false): FaultSpec[] {
    const fired: FaultSpec[] = [];
    for (const entry of this.armed) {
      const { spec } = entry;
      if (!kinds.includes(spec.kind) || entry.remaining <= 0 || !applies(spec, facts)) continue;
      const p = spec.probability ?? 1;
      // The draw is made only for probabilistic faults, so adding a certain fault does not
      // change which requests the probabilistic ones hit.
      if (p < 1 && !(this.rng.next() < p)) continue;
      entry.remaining--;
      fired.push(spec);
      if (first) break;
    }
    return fired;
  }
}

function applies(spec: FaultSpec, facts: RequestFacts): boolean {
  const route = spec.route ?? 'any';
  if (route !== 'any' && route !== facts.route) return false;
  if (spec.authId !== undefined && spec.authId !== facts.authId) return false;
  return true;
}

/** Parses the CLI's `kind[:route[:probability]]` list, e.g. `rate-limit:balance:0.05,reset,drift=missing-balance`. */
export function parseFaultList(text: string): FaultSpec[] {
  const specs: FaultSpec[] = [];
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const parts = trimmed.split(':');
    if (parts.length > 3) throw new FaultSpecError(`fault "${trimmed}" has more than kind:route:probability`);
    const [kindToken = '', route, probability] = parts;
    // `drift=missing-balance` names the drift; a bare `drift` is the one clients most often trip on.
    const [kind, drift] = kindToken.split('=', 2);
    const spec: Record<string, unknown> = { kind };
    if (kind === 'drift') spec.drift = drift ?? 'number-balance';
    else if (drift !== undefined) throw new FaultSpecError(`fault "${trimmed}": only drift takes =<variant>`);
    if (route !== undefined && route !== '') spec.route = route;
    if (probability !== undefined && probability !== '') {
      if (!/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(probability)) {
        throw new FaultSpecError(`fault "${trimmed}": probability must be a number from 0 to 1`);
      }
      spec.probability = Number(probability);
    }
    try {
      specs.push(validateFault(spec));
    } catch (error) {
      throw new FaultSpecError(`fault "${trimmed}": ${(error as Error).message}`);
    }
  }
  return specs;
}
