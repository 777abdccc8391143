import { Annotations, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { type RetentionDays, LogGroup as StateMachineLogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  CustomState,
  DefinitionBody,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  ProcessorMode,
  ProcessorType,
  type RetryProps,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, type LambdaInvokeProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';
import { ARCHIVE_LAYOUT } from '../functions/contract/archive-layout.ts';
import { DISTRIBUTED_ENV, ENV, START_HANDLER, STEP, STEP_HANDLERS } from '../functions/contract/handler.ts';
import type { ArchiveBucket } from './archive-bucket.ts';
import type { StackConfig } from './config.ts';
import { type ShardBudget, shardBudget } from './distributed-budget.ts';
import { SweepFunction } from './sweep-function.ts';

/**
 * Engine `distributed` (issue 10 §2): for partners one Lambda cannot sweep within a period.
 *
 *   schedule -> starter Lambda -> Standard execution named after the slot (a repeated delivery is
 *   refused by Step Functions) -> Lease -> Plan -> Distributed Map over the plan's shards (Express
 *   children, each invoking the shard Lambda) -> Unlisted -> Finalize -> Release
 *
 * Shard results go to the archive bucket's scratch prefix (deleted after a day), not into the
 * state, which holds 256 KB at most; Finalize reads them back. Every failure (of Lease, Plan, the
 * Map past its tolerated share of failed shards, Unlisted) is caught into `$.failure` and goes
 * through Finalize, which records an incomplete sweep naming the shards without a result; only a
 * failing Finalize fails the execution.
 */

/**
 * Lambda throttling (the account's concurrency taken by shards and other functions): retried with
 * a growing, jittered wait, so children started together do not retry together. Lambda's own
 * service errors get the task's standard retry (retryOnServiceExceptions).
 */
const THROTTLED: RetryProps = {
  errors: ['Lambda.TooManyRequestsException'],
  interval: Duration.seconds(3),
  maxAttempts: 8,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitterStrategy: JitterType.FULL,
};
/** More than this share of shards failed: the API or the store is down; stop starting shards. */
export const TOLERATED_SHARD_FAILURE_PERCENT = 50;
/** An Express child runs for 5 minutes at most: the shard Lambda must finish well within. */
const SHARD_TIMEOUT = Duration.seconds(240);

/**
 * The Lambda task of this workflow, granted `lambda:InvokeFunction` on its function's own ARN only:
 * the stock task also grants `<arn>:*` (every version and alias), which this workflow never invokes.
 */
class InvokeStep extends LambdaInvoke {
  constructor(scope: Construct, id: string, props: LambdaInvokeProps) {
    super(scope, id, props);
    Object.assign(this, {
      taskPolicies: [
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [props.lambdaFunction.functionArn],
        }),
      ],
    });
  }
}

export interface DistributedSweepProps {
  config: StackConfig;
  /** The role and log group of the two step functions (the stack grants the sweep's permissions). */
  role: Role;
  logGroup: LogGroup;
  /** The sweep's environment (the single engine's), which the step functions also read. */
  environment: Record<string, string>;
  archive: ArchiveBucket;
  deadLetterQueue: IQueue;
  /** The starter's role and the log group it writes to. */
  starterRole: Role;
}

export class DistributedSweep extends Construct {
  readonly budget: ShardBudget;
  readonly steps: SweepFunction;
  readonly shards: SweepFunction;
  readonly starter: SweepFunction;
  readonly stateMachine: StateMachine;
  readonly map: DistributedMap;
  /** The execution's time limit: one schedule period. */
  readonly timeout: Duration;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: DistributedSweepProps,
  ) {
    super(scope, id);
    const { config } = props;
    this.budget = shardBudget(config.maxRequestsPerSecond, config.sweep.concurrency);
    this.timeout = Duration.minutes(config.schedule.periodMinutes);
    const environment: Record<string, string> = {
      ...props.environment,
      [DISTRIBUTED_ENV.workBucket]: props.archive.bucket.bucketName,
      [DISTRIBUTED_ENV.shardRequestsPerSecond]: String(this.budget.perShardRequestsPerSecond),
    };

    this.steps = new SweepFunction(this, 'StepFunction', {
      entry: STEP_HANDLERS.entry,
      handler: STEP_HANDLERS.steps,
      description: 'The sweep workflow: lease, plan, finalize and release.',
      role: props.role,
      logGroup: props.logGroup,
      memorySize: config.memorySize,
      timeout: Duration.minutes(5),
      environment,
    });
    this.shards = new SweepFunction(this, 'ShardFunction', {
      entry: STEP_HANDLERS.entry,
      handler: STEP_HANDLERS.shards,
      description: 'The sweep workflow: one shard of the account list, or the accounts no shard listed.',
      role: props.role,
      logGroup: props.logGroup,
      memorySize: config.memorySize,
      timeout: SHARD_TIMEOUT,
      environment,
    });
    props.archive.grantScratch(props.role);
    // Finalize lists a sweep's folder to find which shards left a result.
    props.role.addToPolicy(
      new PolicyStatement({
        sid: 'ListSweepScratch',
        actions: ['s3:ListBucket'],
        resources: [props.archive.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_LAYOUT.scratchPrefix}*`] } },
      }),
    );

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: 'One balance sweep per schedule slot: lease, plan, shards, unlisted, finalize, release.',
      definitionBody: DefinitionBody.fromChainable(this.definition()),
      timeout: this.timeout,
      // Errors only: ALL would log every transition of every shard's child execution.
      logs: {
        destination: new StateMachineLogGroup(this, 'Logs', {
          retention: config.logRetentionDays as RetentionDays,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ERROR,
        includeExecutionData: false,
      },
    });
    this.map = this.node.findChild('Shards') as DistributedMap;

    this.starter = new SweepFunction(this, 'StarterFunction', {
      entry: START_HANDLER.entry,
      handler: START_HANDLER.export,
      description: "Starts the slot's sweep execution, named after the slot.",
      role: props.starterRole,
      logGroup: props.logGroup,
      memorySize: 128,
      timeout: Duration.seconds(30),
      retryAttempts: 0,
      maxEventAge: Duration.minutes(Math.min(config.schedule.periodMinutes, 360)),
      onFailure: new SqsDestination(props.deadLetterQueue),
      environment: {
        [DISTRIBUTED_ENV.stateMachineArn]: this.stateMachine.stateMachineArn,
        [ENV.schedulePeriodMinutes]: String(config.schedule.periodMinutes),
        POWERTOOLS_SERVICE_NAME: environment.POWERTOOLS_SERVICE_NAME ?? '',
      },
    });
    props.starterRole.addToPolicy(
      new PolicyStatement({
        sid: 'StartSweepExecutions',
        actions: ['states:StartExecution'],
        resources: [this.stateMachine.stateMachineArn],
      }),
    );
    this.acknowledge(props);
  }

  /** The findings this workflow cannot avoid, each with its reason, each on its own resource. */
  private acknowledge(props: DistributedSweepProps): void {
    const ack = (construct: IConstruct | undefined, id: string, reason: string) => {
      if (!construct) throw new Error(`nothing to acknowledge ${id} on`);
      Validations.of(construct).acknowledge({ id, reason });
    };
    const machine = this.stateMachine.node.defaultChild as IConstruct;
    ack(
      machine,
      'AwsSolutions-SF1',
      'Logs errors only: ALL would write every state transition of every shard child, thousands per sweep at 200 shards, for a cost out of proportion to a monitor. Each step function logs its own work, and the sweep finished line says what each shard did.',
    );
    for (const id of ['AwsSolutions-SF2', 'Serverless-StepFunctionStateMachineXray']) {
      ack(
        machine,
        id,
        'X-Ray needs xray:PutTraceSegments on Resource "*", which the least-privilege rule of this stack forbids; an execution is traced by its history and by the sweep id on every log line of its functions.',
      );
    }
    ack(
      this.stateMachine.role.node.tryFindChild('DefaultPolicy')?.node.defaultChild,
      'AwsSolutions-IAM5[Resource::*]',
      'Required by the service: CloudWatch Logs log delivery (CreateLogDelivery and the rest) has no resource-level permissions, and a state machine that logs must be allowed them on "*".',
    );
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy')?.node.defaultChild;
    const logicalId = Stack.of(this).getLogicalId(machine as CfnElement);
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId}"}]}]}`;
    ack(
      mapPolicy,
      `AwsSolutions-IAM5[Resource::${executions}:*]`,
      "Required by the service: the Distributed Map describes and stops its child executions, whose names Step Functions makes up; they are this state machine's executions only.",
    );
    ack(
      mapPolicy,
      `AwsSolutions-IAM5[Resource::${executions}/*:*]`,
      "Required by the service to redrive a map run's failed children; they are this state machine's executions only.",
    );
    for (const fn of [this.steps, this.shards]) {
      ack(
        fn.node.defaultChild,
        'Serverless-LambdaDLQ',
        'Invoked synchronously by the workflow, never asynchronously: a failure is retried by the task and caught into Finalize, which records the sweep as incomplete; there is no event to keep.',
      );
    }
    ack(
      props.role.node.tryFindChild('DefaultPolicy')?.node.defaultChild,
      `AwsSolutions-IAM5[Resource::${props.archive.nagObjects(`${ARCHIVE_LAYOUT.scratchPrefix}*`)}]`,
      "Each sweep writes its shards' results under scratch/<sweep id>/: the keys are not known in advance, and the bucket deletes them after a day.",
    );
  }

  private task(
    id: string,
    fn: IFunction,
    step: string,
    payload: Record<string, unknown>,
    resultPath: string,
  ) {
    const task = new InvokeStep(this, id, {
      lambdaFunction: fn,
      // The function's answer is the result, without Lambda's envelope; a JSON payload in, JSON out.
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ step, ...payload }),
      resultPath,
    });
    task.addRetry(THROTTLED);
    return task;
  }

  private definition() {
    const { config } = this.props;
    const ids = { 'sweepId.$': '$.sweepId', 'slot.$': '$.slot' };
    const toFinalize = { resultPath: '$.failure', errors: ['States.ALL'] };

    // Every key a later state reads exists from the start, so a failure caught anywhere still finds
    // them (a JSONPath to a missing key would itself fail the execution).
    // (A CustomState: CDK's Pass leaves null values out of its Parameters.)
    const begin = new CustomState(this, 'Begin', {
      stateJson: { Type: 'Pass', Parameters: { ...ids, lease: null, plan: null, failure: null } },
    });
    const lease = this.task(
      'TakeLease',
      this.steps,
      STEP.lease,
      { ...ids, 'startedAt.$': '$$.Execution.StartTime' },
      '$.lease',
    );
    const plan = this.task(
      'Plan',
      this.steps,
      STEP.plan,
      { ...ids, 'startedAt.$': '$$.Execution.StartTime' },
      '$.plan',
    );

    const runShard = this.task(
      'RunShard',
      this.shards,
      STEP.shard,
      { 'sweepId.$': '$.sweepId', 'plan.$': '$.plan', 'shard.$': '$.shard' },
      '$.result',
    );
    const map = new DistributedMap(this, 'Shards', {
      comment: `Each shard in an Express child; ${this.budget.maxConcurrency} at once, each capped at ${this.budget.perShardRequestsPerSecond} requests per second (maxRequestsPerSecond ${config.maxRequestsPerSecond}).`,
      itemsPath: '$.plan.shards',
      itemSelector: { 'sweepId.$': '$.sweepId', 'plan.$': '$.plan', 'shard.$': '$$.Map.Item.Value' },
      maxConcurrency: this.budget.maxConcurrency,
      toleratedFailurePercentage: TOLERATED_SHARD_FAILURE_PERCENT,
      mapExecutionType: StateMachineType.EXPRESS,
      // Results travel through the bucket's scratch prefix, not through the state (256 KB at most).
      resultPath: JsonPath.DISCARD,
    });
    // MapBase's validation wants the execution type here too; DistributedMap renders mapExecutionType.
    map.itemProcessor(runShard, { mode: ProcessorMode.DISTRIBUTED, executionType: ProcessorType.EXPRESS });
    Annotations.of(map).acknowledgeWarning(
      '@aws-cdk/aws-stepfunctions:propertyIgnored',
      'Both name EXPRESS: the processor config to satisfy MapBase validation, mapExecutionType for what is rendered.',
    );

    const unlisted = this.task(
      'ReadUnlisted',
      this.shards,
      STEP.unlisted,
      { 'sweepId.$': '$.sweepId', 'plan.$': '$.plan' },
      JsonPath.DISCARD,
    );
    const finalize = this.task(
      'Finalize',
      this.steps,
      STEP.finalize,
      { ...ids, 'plan.$': '$.plan', 'failure.$': '$.failure' },
      '$.summary',
    );
    const release = this.task(
      'Release',
      this.steps,
      STEP.release,
      { 'sweepId.$': '$.sweepId' },
      JsonPath.DISCARD,
    );
    const releaseAfterFailure = this.task(
      'ReleaseAfterFailure',
      this.steps,
      STEP.release,
      { 'sweepId.$': '$.sweepId' },
      JsonPath.DISCARD,
    );
    const done = new Succeed(this, 'Done');
    const notRecorded = new Fail(this, 'SweepNotRecorded', {
      error: 'SweepNotRecorded',
      cause:
        'Finalize failed: this sweep was not recorded. The execution history and the sweep logs say why.',
    });

    lease.addCatch(finalize, toFinalize);
    plan.addCatch(finalize, toFinalize);
    map.addCatch(finalize, toFinalize);
    unlisted.addCatch(finalize, toFinalize);
    finalize.addCatch(releaseAfterFailure, { resultPath: '$.finalizeFailure', errors: ['States.ALL'] });
    // The lease ends on its own at its expiry: a failed release delays the next sweep, loses nothing.
    release.addCatch(done, { resultPath: JsonPath.DISCARD, errors: ['States.ALL'] });
    releaseAfterFailure.addCatch(notRecorded, { resultPath: JsonPath.DISCARD, errors: ['States.ALL'] });
    releaseAfterFailure.next(notRecorded);

    return begin.next(lease).next(
      new Choice(this, 'Leased?', {
        comment: 'Another sweep still holds the lease: this slot is skipped, the next one runs.',
      })
        .when(
          Condition.booleanEquals('$.lease.acquired', true),
          plan.next(map).next(unlisted).next(finalize).next(release).next(done),
        )
        .otherwise(new Succeed(this, 'Skipped', { comment: 'Another sweep holds the lease.' })),
    );
  }
}
