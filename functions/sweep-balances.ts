/**
 * Lambda entry: the scheduled sweep. Thin by design: validate the environment, build the
 * SDK clients and adapters once per container, and hand over to the same core as the CLI.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { createDynamoStore } from './adapters/dynamodb/store.ts';
import { createSecretCredentials } from './adapters/secrets/secret-credentials.ts';
import { createSnsChannel } from './adapters/sns/sns-channel.ts';
import { createVobizClient } from './adapters/vobiz/client.ts';
import { createWebhookChannel } from './adapters/webhook/webhook-channel.ts';
import { createWebhookSecret } from './adapters/webhook/webhook-secret.ts';
import { METRICS } from './contract/metrics.ts';
import { tableWindowDays } from './core/config.ts';
import { createNotifier } from './core/notifier.ts';
import { parseHandlerEnv } from './handler/handler-env.ts';
import { createRunGuard } from './handler/run-guard.ts';
import { createSweepHandler } from './handler/sweep-handler.ts';

const env = parseHandlerEnv(process.env);
const logger = new Logger({ serviceName: METRICS.service });
const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service });
// Every call has a timeout, so a stuck connection cannot eat the invocation's deadline.
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 10_000 };
const dynamo = new DynamoDBClient({ requestHandler });
const secrets = new SecretsManagerClient({ requestHandler });

export const handler = createSweepHandler({
  env,
  store: createDynamoStore({
    client: dynamo,
    tableName: env.tableName,
    retentionDays: env.sweep.retentionDays,
    tableWindowDays: tableWindowDays(env.sweep),
    timezone: env.sweep.timezone,
  }),
  // SNS first: the channel every deployment has, so a slow webhook never delays it.
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
  logger,
  metrics,
});
