import { Logger } from '@aws-lambda-powertools/logger';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStartHandler, executionName } from '../functions/handler/start-sweep.ts';
import { captureStdout, type StdoutCapture } from './support/stdout-capture.ts';

/*
 * Engine `distributed`: the starter names each execution after its schedule slot, so that Step
 * Functions refuses a second execution for one slot. Step Functions has no local twin: the client
 * is mocked, answering a second start of a name the way the service does.
 */

const ARN = 'arn:aws:states:ap-south-1:123456789012:stateMachine:sweep';
const NOW = Date.parse('2026-03-15T12:00:07Z');
const sfn = mockClient(SFNClient);
let stdout: StdoutCapture;

const context = (id = 'req-1') => ({ awsRequestId: id }) as unknown as Context;

function handler() {
  return createStartHandler({
    sfn: new SFNClient({ region: 'ap-south-1' }),
    stateMachineArn: ARN,
    schedulePeriodMs: 15 * 60_000,
    logger: new Logger({ serviceName: 'test' }),
    now: () => NOW,
  });
}

beforeEach(() => {
  stdout = captureStdout();
  sfn.reset();
  const started = new Set<string>();
  // As the service: a name is used once per state machine (for 90 days).
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => {
    if (started.has(input.name)) {
      throw new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${input.name}'`,
        $metadata: {},
      });
    }
    started.add(input.name);
    return {
      executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    };
  });
});

afterEach(() => stdout.restore());

describe('execution names', () => {
  it('are the slot with its colons replaced, which Step Functions refuses in a name', () => {
    expect(executionName('2026-03-15T12:00:00.000Z')).toBe('slot-2026-03-15T12-00-00Z');
    expect(executionName('2026-03-15T12:00:00.250Z')).toBe('slot-2026-03-15T12-00-00.250Z');
  });

  it('name an invocation by hand after its time and request, within 80 characters', () => {
    const name = executionName(`manual:2026-03-15T12:00:07.000Z:${'f'.repeat(100)}`);
    expect(name).toMatch(/^manual-2026-03-15T12-00-07\.000Z-f+$/);
    expect(name.length).toBe(80);
    expect(name).not.toMatch(/[\s<>{}[\]?*"#%\\^|~`$&,;:/]/);
  });
});

describe('the starter', () => {
  it('starts one execution for a slot, named after it, with the slot and sweep id as input', async () => {
    // Act
    const result = await handler()({ scheduledTime: '2026-03-15T12:00:00Z' }, context());

    // Assert
    expect(result).toMatchObject({ status: 'started', name: 'slot-2026-03-15T12-00-00Z' });
    const [call] = sfn.commandCalls(StartExecutionCommand);
    expect(call?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'slot-2026-03-15T12-00-00Z',
      input: JSON.stringify({ slot: '2026-03-15T12:00:00.000Z', sweepId: 'sweep-slot-2026-03-15T12-00-00Z' }),
    });
  });

  it('starts nothing more when the schedule delivers the same slot again: Step Functions refuses the name', async () => {
    // Arrange
    const start = handler();
    const event = { scheduledTime: '2026-03-15T12:00:00Z' };

    // Act
    const first = await start(event, context('req-1'));
    const again = await start(event, context('req-2'));

    // Assert
    expect(first.status).toBe('started');
    expect(again).toEqual({ status: 'skipped', reason: 'duplicate', name: 'slot-2026-03-15T12-00-00Z' });
    expect(
      stdout.logs('this schedule slot already has its execution; the repeated delivery is refused'),
    ).toHaveLength(1);
  });

  it('skips a delivery older than one schedule period without starting anything', async () => {
    const result = await handler()({ scheduledTime: '2026-03-15T11:44:00Z' }, context());
    expect(result).toMatchObject({ status: 'skipped', reason: 'stale' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('fails the invocation on any other error, so the slot becomes a dead letter', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('AccessDeniedException: not authorized'));
    await expect(handler()({ scheduledTime: '2026-03-15T12:00:00Z' }, context())).rejects.toThrow(
      /AccessDenied/,
    );
  });
});
