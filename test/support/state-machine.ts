import type { Template } from 'aws-cdk-lib/assertions';
import type { Json } from './template-json.ts';

/**
 * A state machine's definition as Step Functions will read it: the template's Fn::Join put back
 * together, each token replaced by a well-formed ARN named after its logical id.
 */

export interface StateMachineDefinition {
  StartAt: string;
  States: Record<string, Json>;
  [key: string]: unknown;
}

const ACCOUNT = '123456789012';
const REGION = 'ap-south-1';

function token(value: Json): string {
  if (value.Ref === 'AWS::Partition') return 'aws';
  if (value.Ref === 'AWS::Region') return REGION;
  if (value.Ref === 'AWS::AccountId') return ACCOUNT;
  const [id] = (value['Fn::GetAtt'] as string[] | undefined) ?? [String(value.Ref)];
  // Every token in these definitions is a function's ARN (a task's Resource).
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(sep);
  }
  return token(v);
}

export function stateMachineDefinition(template: Template): StateMachineDefinition {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Json[];
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const [machine] = machines as [Json];
  return JSON.parse(text((machine.Properties as Json).DefinitionString)) as StateMachineDefinition;
}

/** The function ARN a definition names for a construct's logical id. */
export function functionArn(logicalId: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;
}
