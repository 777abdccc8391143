import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { joined } from './template-reads.ts';

/** Reading a synthesized template in tests: resources, IAM statements, topic policies, cdk-nag. */

export type Json = Record<string, unknown>;

export const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Resources of one type, by logical id. */
export function resources(template: Template, type: string): [string, Json][] {
  return Object.entries(template.findResources(type)) as [string, Json][];
}

export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** Every Allow statement of every IAM policy (inline, role, managed) and key policy in the template. */
export function allowStatements(template: Template): Json[] {
  const documents: unknown[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [, r] of resources(template, type)) documents.push((r.Properties as Json).PolicyDocument);
  }
  for (const [, r] of resources(template, 'AWS::IAM::Role')) {
    for (const p of ((r.Properties as Json).Policies as Json[] | undefined) ?? [])
      documents.push(p.PolicyDocument);
  }
  for (const [, r] of resources(template, 'AWS::KMS::Key')) documents.push((r.Properties as Json).KeyPolicy);
  return documents.flatMap((d) => ((d as Json).Statement as Json[]).filter((s) => s.Effect === 'Allow'));
}

/** Allow statements of identity policies only (no principal): what roles and users are granted. */
export function identityStatements(template: Template): Json[] {
  return allowStatements(template).filter((s) => !(s.Principal as Json | undefined));
}

/** A request to publish to a topic, with its values written as tokens the way the template writes them. */
export interface PublishRequest {
  principal: { Service: string } | { AWS: unknown };
  sourceAccount?: string;
  sourceArn?: string;
  secureTransport: boolean;
}

/** The ARN CloudWatch names as the source when an alarm of this template's account publishes. */
export function alarmArn(name: string): string {
  return `arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:${name}`;
}

function globMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

function conditionsHold(condition: Json | undefined, request: PublishRequest): boolean {
  for (const [operator, tests] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(tests as Json)) {
      const actual =
        key === 'aws:SourceAccount'
          ? request.sourceAccount
          : key === 'aws:SourceArn'
            ? request.sourceArn
            : key === 'aws:SecureTransport'
              ? String(request.secureTransport)
              : undefined;
      if (actual === undefined) return false;
      const values = list(expected).map(joined);
      const ok =
        operator === 'StringEquals' || operator === 'Bool'
          ? values.includes(actual)
          : operator === 'ArnLike' || operator === 'StringLike'
            ? values.some((v) => globMatches(v, actual))
            : false;
      if (!ok) return false;
    }
  }
  return true;
}

function principalMatches(principal: unknown, request: PublishRequest): boolean {
  if (principal === '*') return true;
  const p = principal as Json;
  if ('Service' in request.principal) return list(p.Service as string).includes(request.principal.Service);
  return list(p.AWS).some((a) => JSON.stringify(a) === JSON.stringify((request.principal as Json).AWS));
}

/**
 * Whether the topic's resource policy allows this publish: an Allow that matches and no Deny that
 * does (the evaluation SNS applies to a principal without identity permissions of its own, such as
 * the CloudWatch service).
 */
export function topicAllowsPublish(template: Template, topicId: string, request: PublishRequest): boolean {
  const statements = resources(template, 'AWS::SNS::TopicPolicy')
    .filter(([, r]) =>
      list((r.Properties as Json).Topics).some((t) => JSON.stringify(t) === JSON.stringify({ Ref: topicId })),
    )
    .flatMap(([, r]) => ((r.Properties as Json).PolicyDocument as Json).Statement as Json[]);
  const matching = statements.filter(
    (s) =>
      list(s.Action as string).includes('sns:Publish') &&
      list(s.Resource).some((x) => JSON.stringify(x) === JSON.stringify({ Ref: topicId })) &&
      principalMatches(s.Principal, request) &&
      conditionsHold(s.Condition as Json | undefined, request),
  );
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}

/** Unacknowledged cdk-nag findings, errors and warnings alike, as "rule path". */
export function nagFindings(scope: IConstruct): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
  );
}

/** Acknowledgements recorded in the tree, as "rule path" -> reason. */
export function acknowledgements(scope: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(`${id.replace(/^annotation::/i, '')} ${c.node.path}`, reason);
      }
    }
  }
  return found;
}

/** Drops every acknowledgement from the tree (constructs keeps metadata in a private array). */
export function dropAcknowledgements(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    const metadata = (c.node as unknown as { _metadata?: { type: string }[] })._metadata ?? [];
    for (let i = metadata.length - 1; i >= 0; i--) {
      if (metadata[i]?.type === 'aws:cdk:acknowledged-rules') metadata.splice(i, 1);
    }
  }
}
