/**
 * Lambda entry: the scheduled sweep. Thin by design: validate the environment, build the
 * SDK clients and adapters once per container, and hand over to the same core as the CLI.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS } from './contract/metrics.ts';
import { createAwsPorts } from './handler/aws-ports.ts';
import { parseHandlerEnv } from './handler/handler-env.ts';
import { createSweepHandler } from './handler/sweep-handler.ts';

export const handler = createSweepHandler({
  ...createAwsPorts(parseHandlerEnv(process.env)),
  logger: new Logger({ serviceName: METRICS.service }),
  metrics: new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
});
