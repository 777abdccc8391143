import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { ARCHIVE_ENV } from '../../functions/contract/archive-layout.ts';
import { DISTRIBUTED_ENV, ENV } from '../../functions/contract/handler.ts';
import { BalanceMonitorStack } from '../../lib/balance-monitor-stack.ts';
import { CONTEXT_KEY, ratePeriodMinutes, readStackConfig } from '../../lib/config.ts';

/**
 * The stack as `cdk synth` builds it (bin/app.ts: cdk.json's context plus `-c` overrides), in this
 * process and without bundling (`aws:cdk:bundling-stacks: []`), and what the cost model reads
 * from its template: functions and their memory, alarms and the metrics they watch, dashboards,
 * topics and their keys, email subscriptions, secrets, schedules, log groups, buckets and their
 * lifecycle, the Glue catalog, state machines.
 */

export type Template = { Resources: Record<string, Resource> };
interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
/** AWS prices a month as 730 hours. */
const DAYS_PER_MONTH = 730 / 24;

/** Synthesizes the stack with these `-c` settings (validated as the CDK app validates them). */
export function synthesize(settings: Record<string, unknown>): Template {
  const cdk = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({
    // CloudFormation's own validation loads a WebAssembly engine for seconds; cdk synth runs it.
    builtinCloudFormationValidation: false,
    context: { ...cdk.context, ...settings, 'aws:cdk:bundling-stacks': [] },
  });
  const config = readStackConfig(app.node);
  const stack = new BalanceMonitorStack(app, config.stackName, { config });
  return app.synth().getStackByName(stack.stackName).template as Template;
}

export { CONTEXT_KEY };

export interface FunctionFacts {
  id: string;
  memoryMb: number;
  arm64: boolean;
  timeoutSeconds: number;
  /** Plain values as written; references to other resources as `{Ref: ...}` objects. */
  environment: Record<string, unknown>;
}

export interface AlarmFacts {
  name: string;
  /** Metrics the alarm evaluates (metric math expressions are free; each metric in them is billed). */
  metrics: number;
  highResolution: boolean;
  /** Custom (non-AWS/) metrics it reads, as `namespace/name`. */
  customMetrics: string[];
}

export interface ScheduleFacts {
  id: string;
  expression: string;
  /** The resource it invokes. */
  target: string;
  perMonth: number;
}

export interface TemplateFacts {
  functions: FunctionFacts[];
  /** The function that runs a sweep with the partner's credentials. */
  sweepFunction: FunctionFacts;
  /** The nightly archive export, when the stack has one. */
  archiveFunction: FunctionFacts | null;
  alarms: AlarmFacts[];
  compositeAlarms: number;
  dashboards: number;
  topics: Array<{ id: string; key: 'customer managed' | 'AWS managed' | 'none' }>;
  emailSubscriptions: Record<string, number>;
  kmsKeys: Array<{ id: string; rotation: boolean }>;
  secrets: number;
  schedules: ScheduleFacts[];
  logGroups: Array<{ id: string; retentionDays: number }>;
  queues: number;
  buckets: Array<{
    id: string;
    transitions: Array<{ days: number; storageClass: string }>;
    expireDays: number | null;
    /** Days a replaced or deleted object version is kept (versioned buckets). */
    noncurrentDays: number | null;
  }>;
  glueObjects: number;
  queryDefinitions: number;
  stateMachines: Array<{ id: string; type: string; definition: unknown }>;
  /** Engine `distributed`: the workflow and the functions it runs; null for engine `single`. */
  distributed: DistributedFacts | null;
  table: { pointInTimeRecovery: boolean; indexes: number };
}

export interface DistributedFacts {
  /** States a sweep that takes its lease passes through (the first choice taken at each Choice). */
  happyPath: string[];
  /** The Distributed Map's child executions: their type and how many run at once. */
  childType: string;
  mapConcurrency: number;
  /** Lambda tasks of the parent, and the function each invokes. */
  parentTasks: Array<{ state: string; functionId: string }>;
  shardFunction: FunctionFacts;
  stepFunction: FunctionFacts;
  /** The function the sweep's schedule invokes (it starts the execution). */
  starterFunction: FunctionFacts;
  shardRequestsPerSecond: number | null;
}

export function readTemplate(template: Template): TemplateFacts {
  const resources = Object.entries(template.Resources).map(([id, r]) => ({
    id,
    type: r.Type,
    props: r.Properties ?? {},
  }));
  const ofType = (type: string) => resources.filter((r) => r.type === type);

  const functions: FunctionFacts[] = ofType('AWS::Lambda::Function').map(({ id, props }) => ({
    id,
    memoryMb: Number(props.MemorySize ?? 128),
    arm64: ((props.Architectures as string[] | undefined) ?? []).includes('arm64'),
    timeoutSeconds: Number(props.Timeout ?? 3),
    environment: ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {}) as Record<string, unknown>,
  }));
  const sweepFunction = functions.find(
    (f) => ENV.secretId in f.environment && ENV.sweepConfig in f.environment,
  );
  if (!sweepFunction)
    throw new Error('the synthesized template has no sweep function (none reads the secret)');

  const keyIds = new Set(ofType('AWS::KMS::Key').map((k) => k.id));
  const topics = ofType('AWS::SNS::Topic').map(({ id, props }) => {
    const key = props.KmsMasterKeyId;
    const ref = referenced(key);
    return {
      id,
      key:
        key === undefined
          ? ('none' as const)
          : ref && keyIds.has(ref)
            ? ('customer managed' as const)
            : ('AWS managed' as const),
    };
  });
  const emailSubscriptions: Record<string, number> = {};
  for (const { props } of ofType('AWS::SNS::Subscription')) {
    if (props.Protocol !== 'email' && props.Protocol !== 'email-json') continue;
    const topic = referenced(props.TopicArn) ?? 'unknown';
    emailSubscriptions[topic] = (emailSubscriptions[topic] ?? 0) + 1;
  }

  const schedules = ofType('AWS::Scheduler::Schedule').map(({ id, props }) => {
    const expression = String(props.ScheduleExpression);
    return {
      id,
      expression,
      target: referenced((props.Target as { Arn?: unknown } | undefined)?.Arn) ?? 'unknown',
      perMonth: runsPerMonth(expression),
    };
  });

  const buckets = ofType('AWS::S3::Bucket').map(({ id, props }) => {
    const rules =
      (props.LifecycleConfiguration as { Rules?: Array<Record<string, unknown>> } | undefined)?.Rules ?? [];
    // The rule that keeps the archive's day files: the one with transitions.
    const main = rules.find((r) => Array.isArray(r.Transitions)) ?? null;
    const noncurrent = rules
      .map((r) => (r.NoncurrentVersionExpiration as { NoncurrentDays?: number } | undefined)?.NoncurrentDays)
      .find((d) => typeof d === 'number');
    return {
      id,
      transitions: (
        (main?.Transitions as Array<{ TransitionInDays: number; StorageClass: string }>) ?? []
      ).map((t) => ({ days: t.TransitionInDays, storageClass: t.StorageClass })),
      expireDays: typeof main?.ExpirationInDays === 'number' ? main.ExpirationInDays : null,
      noncurrentDays: noncurrent ?? null,
    };
  });

  const table = ofType('AWS::DynamoDB::Table')[0]?.props ?? {};
  const stateMachines = ofType('AWS::StepFunctions::StateMachine').map(({ id, props }) => ({
    id,
    type: String(props.StateMachineType ?? 'STANDARD'),
    definition: definitionOf(props),
  }));
  return {
    functions,
    sweepFunction,
    archiveFunction: functions.find((f) => ARCHIVE_ENV.bucket in f.environment) ?? null,
    alarms: ofType('AWS::CloudWatch::Alarm').map(({ id, props }) => alarmFacts(id, props)),
    compositeAlarms: ofType('AWS::CloudWatch::CompositeAlarm').length,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    topics,
    emailSubscriptions,
    kmsKeys: ofType('AWS::KMS::Key').map(({ id, props }) => ({
      id,
      rotation: props.EnableKeyRotation === true,
    })),
    secrets: ofType('AWS::SecretsManager::Secret').length,
    schedules,
    logGroups: ofType('AWS::Logs::LogGroup').map(({ id, props }) => ({
      id,
      retentionDays: Number(props.RetentionInDays ?? 0),
    })),
    queues: ofType('AWS::SQS::Queue').length,
    buckets,
    glueObjects: ofType('AWS::Glue::Database').length + ofType('AWS::Glue::Table').length,
    queryDefinitions: ofType('AWS::Logs::QueryDefinition').length,
    stateMachines,
    distributed: distributedFacts(stateMachines, functions, schedules),
    table: {
      pointInTimeRecovery:
        (table.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined)
          ?.PointInTimeRecoveryEnabled === true,
      indexes: ((table.GlobalSecondaryIndexes as unknown[] | undefined) ?? []).length,
    },
  };
}

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Choices?: Array<{ Next: string }>;
  MaxConcurrency?: number;
  ItemProcessor?: {
    ProcessorConfig?: { Mode?: string; ExecutionType?: string };
    StartAt: string;
    States: Record<string, AslState>;
  };
}

function distributedFacts(
  machines: TemplateFacts['stateMachines'],
  functions: FunctionFacts[],
  schedules: ScheduleFacts[],
): DistributedFacts | null {
  const definition = machines.find((m) => m.type === 'STANDARD')?.definition as
    | { StartAt: string; States: Record<string, AslState> }
    | undefined;
  if (!definition) return null;
  const fn = (resource: string | undefined) => functions.find((f) => resource === `REF_${f.id}`);
  const happyPath: string[] = [];
  for (let name: string | undefined = definition.StartAt; name && !happyPath.includes(name); ) {
    happyPath.push(name);
    const state: AslState | undefined = definition.States[name];
    if (!state || state.End || state.Type === 'Succeed' || state.Type === 'Fail') break;
    name = state.Type === 'Choice' ? state.Choices?.[0]?.Next : state.Next;
  }
  const map = Object.values(definition.States).find(
    (s) => s.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED',
  );
  const child = map?.ItemProcessor ? map.ItemProcessor.States[map.ItemProcessor.StartAt] : undefined;
  const shardFunction = fn(child?.Resource);
  const parentTasks = happyPath
    .map((state) => ({ state, fnFacts: fn(definition.States[state]?.Resource) }))
    .filter((t): t is { state: string; fnFacts: FunctionFacts } => t.fnFacts !== undefined)
    .map((t) => ({ state: t.state, functionId: t.fnFacts.id }));
  const stepTask = parentTasks.find((t) => t.functionId !== shardFunction?.id);
  const stepFunction = functions.find((f) => f.id === stepTask?.functionId);
  const starterFunction = functions.find((f) =>
    schedules.some((sc) => sc.target === f.id && ratePeriodMinutes(sc.expression) !== null),
  );
  if (!map || !shardFunction || !stepFunction || !starterFunction) {
    throw new Error(
      'the state machine has no Distributed Map of shard tasks, parent tasks or starter the cost model knows',
    );
  }
  const rps = shardFunction.environment[DISTRIBUTED_ENV.shardRequestsPerSecond];
  return {
    happyPath,
    childType: map.ItemProcessor?.ProcessorConfig?.ExecutionType ?? 'STANDARD',
    mapConcurrency: map.MaxConcurrency ?? 0,
    parentTasks,
    shardFunction,
    stepFunction,
    starterFunction,
    shardRequestsPerSecond: typeof rps === 'string' && rps !== '' ? Number(rps) : null,
  };
}

function alarmFacts(id: string, props: Record<string, unknown>): AlarmFacts {
  const name = typeof props.AlarmName === 'string' ? props.AlarmName : id;
  const metrics: Array<{ namespace: string; name: string; period: number }> = [];
  if (typeof props.MetricName === 'string') {
    metrics.push({
      namespace: String(props.Namespace),
      name: props.MetricName,
      period: Number(props.Period),
    });
  }
  for (const query of (props.Metrics as Array<Record<string, unknown>> | undefined) ?? []) {
    const stat = query.MetricStat as
      | { Metric: { Namespace: string; MetricName: string }; Period: number }
      | undefined;
    if (stat)
      metrics.push({ namespace: stat.Metric.Namespace, name: stat.Metric.MetricName, period: stat.Period });
  }
  return {
    name,
    metrics: metrics.length,
    highResolution: metrics.some((m) => m.period < 60),
    customMetrics: [
      ...new Set(
        metrics.filter((m) => !m.namespace.startsWith('AWS/')).map((m) => `${m.namespace}/${m.name}`),
      ),
    ],
  };
}

/** The logical id a `{Ref}` or `{Fn::GetAtt}` points at. */
function referenced(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : null;
}

/** A state machine's definition, its `Fn::Join` put together with references as placeholders. */
function definitionOf(props: Record<string, unknown>): unknown {
  const raw = props.DefinitionString ?? props.Definition;
  if (raw === undefined) return null;
  if (typeof raw === 'object' && raw !== null && !('Fn::Join' in raw)) return raw;
  const text = flatten(raw);
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map(flatten).join(separator);
  }
  return `REF_${referenced(value) ?? 'VALUE'}`;
}

/** How many times a month a schedule fires: rate(...), or a cron with fixed minutes and hours. */
export function runsPerMonth(expression: string): number {
  const period = ratePeriodMinutes(expression);
  if (period !== null) return (DAYS_PER_MONTH * 24 * 60) / period;
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (cron) {
    const [, minutes, hours, dayOfMonth, month, dayOfWeek] = cron as unknown as string[];
    const count = (field: string | undefined) =>
      field && /^[\d,]+$/.test(field) ? field.split(',').length : null;
    const perDay = (count(minutes) ?? Number.NaN) * (count(hours) ?? Number.NaN);
    const everyDay = dayOfMonth === '*' && month === '*' && (dayOfWeek === '?' || dayOfWeek === '*');
    if (everyDay && Number.isFinite(perDay)) return perDay * DAYS_PER_MONTH;
  }
  throw new Error(`the cost model cannot count the runs of the schedule ${expression}`);
}
