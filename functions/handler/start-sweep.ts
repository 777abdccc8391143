import type { Logger } from '@aws-lambda-powertools/logger';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import type { ExecutionInput, ScheduledInput } from '../contract/handler.ts';
import { parseInstant } from '../core/time.ts';

/**
 * Engine `distributed`: the schedule's target. It starts one Step Functions execution per schedule
 * slot, named after the slot, so that a duplicated or retried delivery of the slot is refused by
 * Step Functions itself (an execution name is unique in a state machine for 90 days). Scheduler
 * cannot name the execution itself: the slot's time holds colons, which a name may not.
 */

export type StartResult =
  | { status: 'started'; name: string; executionArn: string }
  | { status: 'skipped'; reason: 'stale' | 'duplicate'; name: string };

/** Characters an execution name may not hold (whitespace, brackets, wildcards, " # % \ ^ | ~ ` $ & , ; : /). */
const NOT_IN_NAMES = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/g;

/**
 * The execution's name for a slot: `slot-2026-03-15T12-00-00Z` for a scheduled time, or
 * `manual-<instant>-<request id>` for an invocation by hand; at most 80 characters.
 */
export function executionName(slot: string): string {
  const manual = /^manual:(.+):([^:]+)$/.exec(slot);
  const name = manual ? `manual-${manual[1]}-${manual[2]}` : `slot-${slot.replace(/\.000Z$/, 'Z')}`;
  return name.replace(NOT_IN_NAMES, '-').slice(0, 80);
}

export interface StartSweepDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  schedulePeriodMs: number;
  logger: Logger;
  now?: () => number;
}

export function createStartHandler(deps: StartSweepDeps) {
  const now = deps.now ?? Date.now;
  return async function handler(event: ScheduledInput | undefined, context: Context): Promise<StartResult> {
    const startedMs = now();
    const scheduled = event?.scheduledTime ? parseInstant(event.scheduledTime) : null;
    const slot = scheduled ?? `manual:${new Date(startedMs).toISOString()}:${context.awsRequestId}`;
    const name = executionName(slot);
    if (scheduled && startedMs - Date.parse(scheduled) > deps.schedulePeriodMs) {
      deps.logger.warn('skipping a delivery older than one schedule period', { slot, name });
      return { status: 'skipped', reason: 'stale', name };
    }
    const input: ExecutionInput = { slot, sweepId: `sweep-${name}` };
    try {
      const started = await deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      deps.logger.info('sweep execution started', { slot, name, executionArn: started.executionArn });
      return { status: 'started', name, executionArn: String(started.executionArn) };
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      deps.logger.info('this schedule slot already has its execution; the repeated delivery is refused', {
        slot,
        name,
      });
      return { status: 'skipped', reason: 'duplicate', name };
    }
  };
}
