/**
 * AWS list prices the cost model uses: us-east-1, on-demand, before any free tier, in US dollars.
 *
 * Where they come from, honestly: this machine cannot reach the internet. Each price is the one
 * published on the AWS pricing page named in `source` as I know it (AWS's pages through 2025),
 * written down on READ_ON. `check` says how far it could be confirmed offline:
 * - `aws-page`: a stored copy of that AWS page (or AWS documentation) shows this price;
 * - `third-party`: only a third-party page citing the AWS price was found;
 * - `unconfirmed`: recalled, not found offline. Check these first before relying on a total.
 * Prices change rarely but do change (DynamoDB on-demand halved in November 2024): compare with the
 * pages before relying on a figure, and change them here, in one place.
 */

export const READ_ON = '2026-11-30';
export const REGION = 'us-east-1';

export type Check = 'aws-page' | 'third-party' | 'unconfirmed';

export interface Price {
  /** Dollars per `per` units of `unit`. */
  usd: number;
  per: number;
  unit: string;
  source: string;
  check: Check;
  /** Where the confirmation was found, or what is uncertain. */
  note?: string;
}

const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const SNS = 'https://aws.amazon.com/sns/pricing/';
const SECRETS = 'https://aws.amazon.com/secrets-manager/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const SCHEDULER = 'https://aws.amazon.com/eventbridge/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const STEP_FUNCTIONS = 'https://aws.amazon.com/step-functions/pricing/';
const GLUE = 'https://aws.amazon.com/glue/pricing/';
const ATHENA = 'https://aws.amazon.com/athena/pricing/';
const TRANSFER = 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer';

export const PRICES = {
  dynamoWrite: {
    usd: 0.625,
    per: 1e6,
    unit: 'write request units',
    source: DYNAMODB,
    check: 'third-party',
    note: 'airbyte.com DynamoDB pricing guide quotes the AWS page',
  },
  dynamoRead: {
    usd: 0.125,
    per: 1e6,
    unit: 'read request units',
    source: DYNAMODB,
    check: 'third-party',
    note: 'airbyte.com DynamoDB pricing guide quotes the AWS page',
  },
  dynamoStorage: { usd: 0.25, per: 1, unit: 'GB-month', source: DYNAMODB, check: 'unconfirmed' },
  dynamoPitr: {
    usd: 0.2,
    per: 1,
    unit: 'GB-month of table data',
    source: DYNAMODB,
    check: 'unconfirmed',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 1,
    unit: 'GB-second (arm64)',
    source: LAMBDA,
    check: 'third-party',
    note: 'cloudchipr.com and a Lambda cost guide quote it; the stored AWS page says init code is billed too',
  },
  lambdaRequest: {
    usd: 0.2,
    per: 1e6,
    unit: 'requests',
    source: LAMBDA,
    check: 'third-party',
  },
  customMetric: {
    usd: 0.3,
    per: 1,
    unit: 'metric-month (first 10,000)',
    source: CLOUDWATCH,
    check: 'third-party',
  },
  alarmMetric: {
    usd: 0.1,
    per: 1,
    unit: 'standard-resolution alarm metric-month',
    source: CLOUDWATCH,
    check: 'unconfirmed',
  },
  highResolutionAlarmMetric: {
    usd: 0.3,
    per: 1,
    unit: 'high-resolution alarm metric-month',
    source: CLOUDWATCH,
    check: 'unconfirmed',
  },
  dashboard: { usd: 3, per: 1, unit: 'dashboard-month', source: CLOUDWATCH, check: 'unconfirmed' },
  logsIngestion: {
    usd: 0.5,
    per: 1,
    unit: 'GB ingested (standard class)',
    source: CLOUDWATCH,
    check: 'unconfirmed',
  },
  logsStorage: {
    usd: 0.03,
    per: 1,
    unit: 'GB-month archived',
    source: CLOUDWATCH,
    check: 'unconfirmed',
  },
  logsInsights: {
    usd: 0.005,
    per: 1,
    unit: 'GB scanned by Logs Insights',
    source: CLOUDWATCH,
    check: 'unconfirmed',
  },
  snsPublish: {
    usd: 0.5,
    per: 1e6,
    unit: 'publish requests (64 KB chunks)',
    source: SNS,
    check: 'unconfirmed',
  },
  snsEmail: { usd: 2, per: 1e5, unit: 'email deliveries', source: SNS, check: 'unconfirmed' },
  secret: { usd: 0.4, per: 1, unit: 'secret-month', source: SECRETS, check: 'unconfirmed' },
  secretsApi: { usd: 0.05, per: 1e4, unit: 'API calls', source: SECRETS, check: 'unconfirmed' },
  kmsKey: {
    usd: 1,
    per: 1,
    unit: 'customer managed key-month',
    source: KMS,
    check: 'unconfirmed',
    note: 'a key with automatic rotation costs $1 more a month after each of its first two rotations (yearly): $3 from its third year',
  },
  kmsRequest: { usd: 0.03, per: 1e4, unit: 'requests', source: KMS, check: 'unconfirmed' },
  s3Standard: { usd: 0.023, per: 1, unit: 'GB-month (Standard)', source: S3, check: 'unconfirmed' },
  s3InfrequentAccess: {
    usd: 0.0125,
    per: 1,
    unit: 'GB-month (Standard-IA, 128 KB and 30 days minimum per object)',
    source: S3,
    check: 'unconfirmed',
  },
  s3GlacierInstant: {
    usd: 0.004,
    per: 1,
    unit: 'GB-month (Glacier Instant Retrieval, 128 KB and 90 days minimum per object)',
    source: S3,
    check: 'unconfirmed',
  },
  s3Put: { usd: 0.005, per: 1000, unit: 'PUT, COPY, POST, LIST requests', source: S3, check: 'unconfirmed' },
  s3Get: { usd: 0.0004, per: 1000, unit: 'GET and other requests', source: S3, check: 'unconfirmed' },
  s3TransitionIa: {
    usd: 0.01,
    per: 1000,
    unit: 'lifecycle transitions to Standard-IA',
    source: S3,
    check: 'unconfirmed',
  },
  s3TransitionGlacierInstant: {
    usd: 0.02,
    per: 1000,
    unit: 'lifecycle transitions to Glacier Instant Retrieval',
    source: S3,
    check: 'unconfirmed',
  },
  scheduler: {
    usd: 1,
    per: 1e6,
    unit: 'scheduled invocations',
    source: SCHEDULER,
    check: 'unconfirmed',
  },
  sqsRequest: { usd: 0.4, per: 1e6, unit: 'standard queue requests', source: SQS, check: 'unconfirmed' },
  stepFunctionsTransition: {
    usd: 0.025,
    per: 1000,
    unit: 'Standard state transitions',
    source: STEP_FUNCTIONS,
    check: 'aws-page',
    note: 'aws.amazon.com/step-functions/pricing (stored copy): $0.0250 per 1,000 in US East (N. Virginia); a Distributed Map counts one transition per child execution it starts (Step Functions developer guide, Transitions)',
  },
  expressRequest: {
    usd: 1,
    per: 1e6,
    unit: 'Express workflow requests',
    source: STEP_FUNCTIONS,
    check: 'third-party',
    note: 'wring.co Step Functions pricing guide; the stored AWS page describes the billing (per 100 ms, 64 MB chunks)',
  },
  expressGbSecond: {
    usd: 0.00001667,
    per: 1,
    unit: 'Express GB-second (first 1,000 GB-hours), 64 MB chunks, 100 ms',
    source: STEP_FUNCTIONS,
    check: 'third-party',
  },
  glueObject: {
    usd: 1,
    per: 1e5,
    unit: 'Data Catalog objects-month (the first million are free)',
    source: GLUE,
    check: 'unconfirmed',
  },
  athenaScan: {
    usd: 5,
    per: 1,
    unit: 'TB scanned (10 MB minimum per query)',
    source: ATHENA,
    check: 'unconfirmed',
  },
  transferOut: {
    usd: 0.09,
    per: 1,
    unit: 'GB out to the internet (first 10 TB, after 100 GB free)',
    source: TRANSFER,
    check: 'unconfirmed',
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;

/** Dollars for `quantity` units of a price. */
export function cost(name: PriceName, quantity: number): number {
  const price: Price = PRICES[name];
  return (quantity * price.usd) / price.per;
}
