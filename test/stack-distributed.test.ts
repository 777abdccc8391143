import aslValidator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { DISTRIBUTED_ENV, ENV, START_HANDLER, STEP, STEP_HANDLERS } from '../functions/contract/handler.ts';
import { DISTRIBUTED_READ_MARGIN_MS, durationWarningBand } from '../lib/alarms.ts';
import { MAX_SHARDS_AT_ONCE, shardBudget } from '../lib/distributed-budget.ts';
import { TOLERATED_SHARD_FAILURE_PERCENT } from '../lib/distributed-sweep.ts';
import { buildApp, DEFAULTS, type Synthesized, synthesize } from './support/stack-app.ts';
import { functionArn, type StateMachineDefinition, stateMachineDefinition } from './support/state-machine.ts';
import {
  acknowledgements,
  dropAcknowledgements,
  identityStatements,
  type Json,
  list,
  logicalId,
  nagFindings,
  resources,
} from './support/template-json.ts';
import { joined } from './support/template-reads.ts';

/*
 * `-c engine=distributed`: the Step Functions workflow, proven on the synthesized template. The
 * definition is read back as Step Functions will read it and validated as Amazon States Language;
 * test/stack-distributed-run.test.ts runs it.
 */

let d: Synthesized;
let definition: StateMachineDefinition;
const SETTINGS = { engine: 'distributed', maxRequestsPerSecond: 250 };

beforeAll(() => {
  d = synthesize(SETTINGS);
  definition = stateMachineDefinition(d.template);
});

const state = (name: string): Json => {
  const found = definition.States[name];
  if (!found) throw new Error(`no state ${name}`);
  return found;
};
const workflow = () => {
  if (!d.stack.distributed) throw new Error('not distributed');
  return d.stack.distributed;
};

describe('the state machine definition', () => {
  it('is valid Amazon States Language, paths and ARNs included', () => {
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('would be refused as States Language if a state pointed nowhere, so the check above can fail', () => {
    const broken = structuredClone(definition);
    (broken.States.Plan as Json).Next = 'NoSuchState';
    expect(aslValidator(broken, { checkPaths: true, checkArn: true }).isValid).toBe(false);
  });

  it('runs lease, plan, the shards, the unlisted accounts, finalize and release, in that order', () => {
    const order: string[] = [];
    let name: string | undefined = definition.StartAt;
    while (name) {
      order.push(name);
      const s = state(name);
      name =
        s.Type === 'Choice'
          ? String(((s.Choices as Json[])[0] as Json).Next)
          : (s.Next as string | undefined);
    }
    expect(order).toEqual([
      'Begin',
      'TakeLease',
      'Leased?',
      'Plan',
      'Shards',
      'ReadUnlisted',
      'Finalize',
      'Release',
      'Done',
    ]);
    expect(state('Leased?')).toMatchObject({
      Choices: [{ Variable: '$.lease.acquired', BooleanEquals: true, Next: 'Plan' }],
      Default: 'Skipped',
    });
    expect(state('Skipped').Type).toBe('Succeed');
  });

  it('names the handlers it runs: each task invokes its function with the step name in its payload', () => {
    const { steps, shards } = workflow();
    const stepsArn = functionArn(logicalId(d.stack, steps));
    const shardsArn = functionArn(logicalId(d.stack, shards));
    const tasks: Record<string, [string, string]> = {
      TakeLease: [stepsArn, STEP.lease],
      Plan: [stepsArn, STEP.plan],
      ReadUnlisted: [shardsArn, STEP.unlisted],
      Finalize: [stepsArn, STEP.finalize],
      Release: [stepsArn, STEP.release],
      ReleaseAfterFailure: [stepsArn, STEP.release],
    };
    for (const [name, [arn, step]] of Object.entries(tasks)) {
      expect(state(name), name).toMatchObject({ Type: 'Task', Resource: arn, Parameters: { step } });
    }
    const child = ((state('Shards').ItemProcessor as Json).States as Json).RunShard as Json;
    expect(child).toMatchObject({ Type: 'Task', Resource: shardsArn, Parameters: { step: STEP.shard } });
    expect(steps.runtime.name).toBe(shards.runtime.name);
    expect(joined(d.template.toJSON().Resources[logicalId(d.stack, steps)].Properties.Handler)).toBe(
      `index.${STEP_HANDLERS.steps}`,
    );
    expect(joined(d.template.toJSON().Resources[logicalId(d.stack, shards)].Properties.Handler)).toBe(
      `index.${STEP_HANDLERS.shards}`,
    );
  });

  it('starts with every key a later state reads, so a failure caught anywhere still reaches Finalize', () => {
    expect(state('Begin')).toMatchObject({
      Type: 'Pass',
      Parameters: { 'sweepId.$': '$.sweepId', 'slot.$': '$.slot', lease: null, plan: null, failure: null },
    });
    expect(state('Finalize').Parameters).toMatchObject({ 'plan.$': '$.plan', 'failure.$': '$.failure' });
  });

  it('retries every Lambda task on throttling, with growing jittered waits, and on Lambda service errors', () => {
    const tasks = Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .concat([['RunShard', ((state('Shards').ItemProcessor as Json).States as Json).RunShard as Json]]);
    expect(tasks.length).toBe(7);
    for (const [name, task] of tasks) {
      const retries = task.Retry as Json[];
      expect(retries, name).toContainEqual(
        expect.objectContaining({
          ErrorEquals: ['Lambda.TooManyRequestsException'],
          BackoffRate: 2,
          JitterStrategy: 'FULL',
          MaxAttempts: 8,
        }),
      );
      expect(
        retries.flatMap((r) => r.ErrorEquals as string[]),
        name,
      ).toContain('Lambda.ServiceException');
    }
  });

  it('catches every failure before Finalize into $.failure and goes to Finalize: an incomplete sweep, recorded', () => {
    for (const name of ['TakeLease', 'Plan', 'Shards', 'ReadUnlisted']) {
      expect(state(name).Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Finalize' },
      ]);
    }
    expect(state('Finalize').Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.finalizeFailure', Next: 'ReleaseAfterFailure' },
    ]);
    expect(state('ReleaseAfterFailure').Next).toBe('SweepNotRecorded');
    expect(state('SweepNotRecorded')).toMatchObject({ Type: 'Fail', Error: 'SweepNotRecorded' });
    // A failed release only delays the next sweep (the lease expires): the sweep still succeeds.
    expect(state('Release').Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Done' }]);
  });

  it('maps the plan’s shards over Express children, as many at once as the global rate allows, tolerating half failed', () => {
    const budget = shardBudget(SETTINGS.maxRequestsPerSecond, DEFAULTS.concurrency as number);
    expect(state('Shards')).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.shards',
      ItemSelector: { 'sweepId.$': '$.sweepId', 'plan.$': '$.plan', 'shard.$': '$$.Map.Item.Value' },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
      MaxConcurrency: budget.maxConcurrency,
      ToleratedFailurePercentage: TOLERATED_SHARD_FAILURE_PERCENT,
      ResultPath: null,
    });
    expect(budget).toEqual({ maxConcurrency: 7, perShardRequestsPerSecond: 35.71 });
    const env = d.template.toJSON().Resources[logicalId(d.stack, workflow().shards)].Properties.Environment
      .Variables as Json;
    expect(env[DISTRIBUTED_ENV.shardRequestsPerSecond]).toBe('35.71');
  });

  it('is a Standard workflow limited to one schedule period', () => {
    const [, machine] = resources(d.template, 'AWS::StepFunctions::StateMachine')[0] as [string, Json];
    expect((machine.Properties as Json).StateMachineType).toBe('STANDARD');
    expect(definition.TimeoutSeconds).toBe(15 * 60);
  });
});

describe('the shard budget', () => {
  it.each([
    [40, 8],
    [100, 8],
    [250, 8],
    [1000, 16],
    [7, 1],
    [100_000 / 10, 256],
  ])('never lets all shards together exceed maxRequestsPerSecond %d (concurrency %d)', (rps, concurrency) => {
    const budget = shardBudget(rps, concurrency);
    expect(budget.maxConcurrency).toBeGreaterThanOrEqual(1);
    expect(budget.maxConcurrency).toBeLessThanOrEqual(MAX_SHARDS_AT_ONCE);
    expect(budget.maxConcurrency * budget.perShardRequestsPerSecond).toBeLessThanOrEqual(rps);
    expect(budget.perShardRequestsPerSecond).toBeGreaterThan(0);
  });
});

describe('execution naming', () => {
  it('has the schedule invoke the starter with the slot, which starts this state machine only', () => {
    const { starter, stateMachine } = workflow();
    const schedule = d.template.toJSON().Resources[logicalId(d.stack, d.stack.schedule)].Properties as Json;
    expect(schedule.Target).toMatchObject({
      Arn: { 'Fn::GetAtt': [logicalId(d.stack, starter), 'Arn'] },
      Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
    });
    const starterProps = d.template.toJSON().Resources[logicalId(d.stack, starter)].Properties as Json;
    expect(starterProps.Handler).toBe(`index.${START_HANDLER.export}`);
    expect((starterProps.Environment as Json).Variables).toMatchObject({
      [DISTRIBUTED_ENV.stateMachineArn]: { Ref: logicalId(d.stack, stateMachine) },
      [ENV.schedulePeriodMinutes]: '15',
    });
    const starts = identityStatements(d.template).filter((s) =>
      list(s.Action as string).includes('states:StartExecution'),
    );
    // The starter's grant, and the Distributed Map's own (children are executions of the same machine).
    expect(starts.map((s) => s.Resource)).toEqual([
      { Ref: logicalId(d.stack, stateMachine) },
      { Ref: logicalId(d.stack, stateMachine) },
    ]);
  });

  it('sends a failed start to the dead-letter queue, like a failed sweep of the single engine', () => {
    d.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(d.stack, workflow().starter) },
      MaximumRetryAttempts: 0,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(d.stack, d.stack.deadLetterQueue), 'Arn'] } },
      },
    });
  });

  it('has no single sweep function', () => {
    expect(() => d.stack.sweepFunction).toThrow(/distributed engine/);
  });
});

describe('alarms of the distributed engine', () => {
  const alarm = (suffix: string) => {
    const found = resources(d.template, 'AWS::CloudWatch::Alarm').find(([, r]) =>
      String((r.Properties as Json).AlarmName).endsWith(`-${suffix}`),
    );
    if (!found) throw new Error(`no alarm *-${suffix}`);
    return found[1].Properties as Json;
  };

  it('adds failed and timed-out executions to the six, on the state machine’s own metrics', () => {
    const machine = { Name: 'StateMachineArn', Value: { Ref: logicalId(d.stack, workflow().stateMachine) } };
    expect(resources(d.template, 'AWS::CloudWatch::Alarm')).toHaveLength(8);
    expect(alarm('sweep-execution-failed')).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [machine],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm('sweep-execution-timed-out')).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsTimedOut',
      Dimensions: [machine],
    });
  });

  it('watches the execution time of complete sweeps against the period', () => {
    const band = durationWarningBand(15 * 60, DISTRIBUTED_READ_MARGIN_MS);
    expect(band).toEqual({ fromMs: 720_000, belowMs: 805_000 });
    const duration = alarm('sweep-duration');
    expect(duration.Threshold).toBe(band.fromMs);
    expect(duration.Metrics).toContainEqual(
      expect.objectContaining({ Expression: `IF(duration < ${band.belowMs}, duration, 0)` }),
    );
    expect(JSON.stringify(duration.Metrics)).toContain('"MetricName":"ExecutionTime"');
  });
});

describe('least privilege and cdk-nag', () => {
  it('reports no unacknowledged finding', () => {
    expect(nagFindings(d.app)).toEqual([]);
  });

  it('acknowledges only findings that would otherwise be reported, each with its reason', () => {
    const bare = buildApp(SETTINGS);
    const acknowledged = [...acknowledgements(bare.app).keys()].sort();
    dropAcknowledgements(bare.app);
    expect(nagFindings(bare.app).sort()).toEqual(acknowledged);
    const workflowOnes = [...acknowledgements(d.app).entries()].filter(([key]) =>
      key.includes('/Distributed/'),
    );
    expect(workflowOnes.map(([key]) => key.replace(/\[Resource::.*\]/, '[...]')).sort()).toEqual([
      'AwsSolutions-IAM5[...] VobizBalanceMonitor/Distributed/StateMachine/DistributedMapPolicy/Resource',
      'AwsSolutions-IAM5[...] VobizBalanceMonitor/Distributed/StateMachine/DistributedMapPolicy/Resource',
      'AwsSolutions-IAM5[...] VobizBalanceMonitor/Distributed/StateMachine/Role/DefaultPolicy/Resource',
      'AwsSolutions-SF1 VobizBalanceMonitor/Distributed/StateMachine/Resource',
      'AwsSolutions-SF2 VobizBalanceMonitor/Distributed/StateMachine/Resource',
      'Serverless-LambdaDLQ VobizBalanceMonitor/Distributed/ShardFunction/Resource',
      'Serverless-LambdaDLQ VobizBalanceMonitor/Distributed/StarterFunction/Resource',
      'Serverless-LambdaDLQ VobizBalanceMonitor/Distributed/StepFunction/Resource',
      'Serverless-LambdaTracing VobizBalanceMonitor/Distributed/ShardFunction/Resource',
      'Serverless-LambdaTracing VobizBalanceMonitor/Distributed/StarterFunction/Resource',
      'Serverless-LambdaTracing VobizBalanceMonitor/Distributed/StepFunction/Resource',
      'Serverless-StepFunctionStateMachineXray VobizBalanceMonitor/Distributed/StateMachine/Resource',
    ]);
    for (const [, reason] of workflowOnes) expect(reason.length).toBeGreaterThan(60);
  });

  it('grants wildcards only where the service requires them or keys are made per sweep, all acknowledged', () => {
    const wildcards = identityStatements(d.template)
      .flatMap((s) => list(s.Resource).map(joined))
      .filter((r) => r.includes('*'))
      .map((r) => r.replace(/\{"Fn::Select".*\}/, '<machine name>'))
      .sort();
    expect(wildcards).toEqual([
      '*',
      '<ArchiveBucket49F1AC64.Arn>/scratch/*',
      '<ArchiveBucket49F1AC64.Arn>/snapshots/*',
      '<ArchiveBucket49F1AC64.Arn>/snapshots/*',
      'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<machine name>/*:*',
      'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<machine name>:*',
    ]);
    const star = identityStatements(d.template).find((s) => s.Resource === '*') as Json;
    expect(list(star.Action as string).every((a) => a.startsWith('logs:'))).toBe(true);
  });
});
