/**
 * The CDK app: reads and validates the configuration, adds the stack, and runs the cdk-nag
 * AwsSolutions and Serverless packs on every synth. `npx cdk synth` / `npx cdk deploy`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ConfigError } from '../functions/core/errors.ts';
import { BalanceMonitorStack } from '../lib/balance-monitor-stack.ts';
import { readStackConfig, type StackConfig } from '../lib/config.ts';

const app = new App();

let config: StackConfig;
try {
  config = readStackConfig(app.node);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // One line naming the key; a stack trace would only bury it.
  console.error(error.message);
  process.exit(1);
}

new BalanceMonitorStack(app, config.stackName, {
  description: 'Vobiz balance monitor: scheduled wallet sweep, history, low-balance alerts',
  config,
});

// Acknowledged findings are also written into the template metadata (cdk_nag), an audit trail
// that travels with the template.
const nag = { writeSuppressionsToCloudFormation: true };
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, nag), new ServerlessChecks(app, nag));
