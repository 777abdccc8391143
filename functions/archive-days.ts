/**
 * Lambda entry: the daily export of finished days from the table to the archive bucket. Thin by
 * design: validate the environment, build the clients once per container, hand over.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { createS3Archive } from './adapters/archive/s3-archive.ts';
import { createFinanceStore } from './adapters/dynamodb/finance-store.ts';
import { METRICS } from './contract/metrics.ts';
import { createArchiveHandler, parseArchiveEnv } from './handler/archive-handler.ts';

const env = parseArchiveEnv(process.env);
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 30_000 };

export const handler = createArchiveHandler({
  env,
  source: createFinanceStore({
    client: new DynamoDBClient({ requestHandler }),
    tableName: env.tableName,
    timezone: env.sweep.timezone,
    retentionDays: env.sweep.retentionDays,
  }),
  archive: createS3Archive({ client: new S3Client({ requestHandler }), bucket: env.bucket }),
  logger: new Logger({ serviceName: `${METRICS.service}-archive` }),
});
