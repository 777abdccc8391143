/**
 * Lambda entry, engine `distributed`: the state machine's two functions (lib/distributed-sweep.ts).
 * `steps` runs lease, plan, finalize and release; `shards` one shard of the list, or the accounts no
 * shard listed. Thin: the same adapters as the single sweep, plus the scratch store in the bucket.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { createDynamoStore } from './adapters/dynamodb/store.ts';
import { createS3Scratch } from './adapters/scratch/s3-scratch.ts';
import { createSecretCredentials } from './adapters/secrets/secret-credentials.ts';
import { createSnsChannel } from './adapters/sns/sns-channel.ts';
import { createVobizClient } from './adapters/vobiz/client.ts';
import { createWebhookChannel } from './adapters/webhook/webhook-channel.ts';
import { createWebhookSecret } from './adapters/webhook/webhook-secret.ts';
import { ARCHIVE_LAYOUT } from './contract/archive-layout.ts';
import { METRICS } from './contract/metrics.ts';
import { tableWindowDays } from './core/config.ts';
import { createNotifier } from './core/notifier.ts';
import { parseStepEnv } from './handler/handler-env.ts';
import { createRunGuard } from './handler/run-guard.ts';
import { createStepHandlers, type ShardsEvent, type StepsEvent } from './handler/sweep-steps.ts';

const env = parseStepEnv(process.env);
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 10_000 };
const dynamo = new DynamoDBClient({ requestHandler });
const secrets = new SecretsManagerClient({ requestHandler });

const handlers = createStepHandlers({
  env,
  store: createDynamoStore({
    client: dynamo,
    tableName: env.tableName,
    retentionDays: env.sweep.retentionDays,
    tableWindowDays: tableWindowDays(env.sweep),
    timezone: env.sweep.timezone,
  }),
  notifier: createNotifier([
    createSnsChannel({
      client: new SNSClient({ requestHandler }),
      topicArn: env.alertTopicArn,
      digestSize: env.digestSize,
    }),
    ...(env.webhookSecretId
      ? [
          createWebhookChannel({
            target: createWebhookSecret({ client: secrets, secretId: env.webhookSecretId }),
            digestSize: env.digestSize,
          }),
        ]
      : []),
  ]),
  guard: createRunGuard({ client: dynamo, tableName: env.tableName }),
  credentials: createSecretCredentials({ client: secrets, secretId: env.secretId }),
  vobizFor: ({ authId, authToken }) => createVobizClient({ baseUrl: env.apiBaseUrl, authId, authToken }),
  scratch: createS3Scratch({
    client: new S3Client({ requestHandler }),
    bucket: env.workBucket,
    prefix: ARCHIVE_LAYOUT.scratchPrefix,
  }),
  shardRequestsPerSecond: env.shardRequestsPerSecond,
  logger: new Logger({ serviceName: METRICS.service }),
  metrics: new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
});

export const steps = (event: StepsEvent) => handlers.steps(event);
export const shards = (event: ShardsEvent, context: Context) => handlers.shards(event, context);
