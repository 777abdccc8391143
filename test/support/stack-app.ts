import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BalanceMonitorStack } from '../../lib/balance-monitor-stack.ts';
import { CONTEXT_KEY, readStackConfig } from '../../lib/config.ts';
import { PROJECT_ROOT } from '../../lib/sweep-function.ts';

/**
 * The stack as bin/app.ts builds it, from cdk.json's context plus the given settings, for template
 * tests. Two costs are left to the one real `cdk synth` (test/stack-app.test.ts): esbuild bundling
 * (`aws:cdk:bundling-stacks: []`) and CDK's built-in CloudFormation validation, whose WebAssembly
 * engine takes 8 to 16 s to load in a test process.
 */

export const CDK_JSON = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: Record<string, unknown> & { [CONTEXT_KEY]: Record<string, unknown> };
};

export const DEFAULTS = CDK_JSON.context[CONTEXT_KEY];

export interface Synthesized {
  app: App;
  stack: BalanceMonitorStack;
  template: Template;
}

export function buildApp(settings: Record<string, unknown> = {}): { app: App; stack: BalanceMonitorStack } {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: {
      ...CDK_JSON.context,
      [CONTEXT_KEY]: { ...DEFAULTS, ...settings },
      'aws:cdk:bundling-stacks': [],
    },
  });
  const config = readStackConfig(app.node);
  const stack = new BalanceMonitorStack(app, config.stackName, { config });
  return { app, stack };
}

export function synthesize(settings: Record<string, unknown> = {}): Synthesized {
  const built = buildApp(settings);
  return { ...built, template: Template.fromStack(built.stack) };
}
