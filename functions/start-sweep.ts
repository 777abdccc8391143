/**
 * Lambda entry, engine `distributed`: the schedule's target, which starts the slot's Step
 * Functions execution under a name derived from the slot (functions/handler/start-sweep.ts).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { METRICS } from './contract/metrics.ts';
import { parseStarterEnv } from './handler/handler-env.ts';
import { createStartHandler } from './handler/start-sweep.ts';

const env = parseStarterEnv(process.env);

export const handler = createStartHandler({
  sfn: new SFNClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 } }),
  stateMachineArn: env.stateMachineArn,
  schedulePeriodMs: env.schedulePeriodMs,
  logger: new Logger({ serviceName: METRICS.service }),
});
