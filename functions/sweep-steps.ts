/**
 * Lambda entry, engine `distributed`: the state machine's two functions (lib/distributed-sweep.ts).
 * `steps` runs lease, plan, finalize and release; `shards` one shard of the list, or the accounts no
 * shard listed. Thin: the same adapters as the single sweep, plus the scratch store in the bucket.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { createS3Scratch } from './adapters/scratch/s3-scratch.ts';
import { ARCHIVE_LAYOUT } from './contract/archive-layout.ts';
import { METRICS } from './contract/metrics.ts';
import { AWS_REQUEST_HANDLER, createAwsPorts } from './handler/aws-ports.ts';
import { parseStepEnv } from './handler/handler-env.ts';
import { createStepHandlers, type ShardsEvent, type StepsEvent } from './handler/sweep-steps.ts';

const env = parseStepEnv(process.env);

const handlers = createStepHandlers({
  ...createAwsPorts(env),
  env,
  scratch: createS3Scratch({
    client: new S3Client({ requestHandler: AWS_REQUEST_HANDLER }),
    bucket: env.workBucket,
    prefix: ARCHIVE_LAYOUT.scratchPrefix,
  }),
  shardRequestsPerSecond: env.shardRequestsPerSecond,
  logger: new Logger({ serviceName: METRICS.service }),
  metrics: new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
});

export const steps = (event: StepsEvent) => handlers.steps(event);
export const shards = (event: ShardsEvent, context: Context) => handlers.shards(event, context);
