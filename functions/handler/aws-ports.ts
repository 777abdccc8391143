import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { createDynamoStore } from '../adapters/dynamodb/store.ts';
import { createSecretCredentials } from '../adapters/secrets/secret-credentials.ts';
import { createSnsChannel } from '../adapters/sns/sns-channel.ts';
import { createVobizClient } from '../adapters/vobiz/client.ts';
import { createWebhookChannel } from '../adapters/webhook/webhook-channel.ts';
import { createWebhookSecret } from '../adapters/webhook/webhook-secret.ts';
import { tableWindowDays } from '../core/config.ts';
import { createNotifier } from '../core/notifier.ts';
import type { HandlerEnv } from './handler-env.ts';
import { createRunGuard } from './run-guard.ts';

// Every call has a timeout, so a stuck connection cannot eat the invocation's deadline.
export const AWS_REQUEST_HANDLER = { connectionTimeout: 2_000, requestTimeout: 10_000 };

/**
 * The adapters both Lambda entries (engine `single` and the distributed steps) run on, built
 * once per container from the validated environment.
 */
export function createAwsPorts(env: HandlerEnv) {
  const requestHandler = AWS_REQUEST_HANDLER;
  const dynamo = new DynamoDBClient({ requestHandler });
  const secrets = new SecretsManagerClient({ requestHandler });
  return {
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
    vobizFor: ({ authId, authToken }: { authId: string; authToken: string }) =>
      createVobizClient({ baseUrl: env.apiBaseUrl, authId, authToken }),
  };
}
