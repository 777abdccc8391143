/**
 * The Lambda entry in a process of its own, run as Lambda runs it (bench/lambda-size.ts starts it
 * with the heap limits Lambda's Node.js bootstrap derives from the function's memory). SNS and
 * Secrets Manager are mocked (no local twin); DynamoDB is dynalite in another process, the API
 * the simulator in another. Invokes the handler BENCH_INVOCATIONS times (a first sweep, then
 * repeats), each as a fresh schedule slot, and writes one JSON line to BENCH_RESULT_FILE: per
 * invocation its wall time and CPU time (process.cpuUsage(): user + system of every thread), and
 * the process's peak RSS and heap limit.
 */
import { writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { SWEEP_HANDLER } from '../functions/contract/handler.ts';
import type { HandlerResult } from '../functions/handler/sweep-handler.ts';

const resultFile = process.env.BENCH_RESULT_FILE;
if (!resultFile) throw new Error('BENCH_RESULT_FILE is not set');
const invocations = Number(process.env.BENCH_INVOCATIONS ?? '2');

mockClient(SecretsManagerClient)
  .on(GetSecretValueCommand)
  .resolves({
    SecretString: JSON.stringify({
      authId: process.env.BENCH_PARTNER_ID,
      authToken: process.env.BENCH_PARTNER_TOKEN,
    }),
  });
mockClient(SNSClient)
  .on(PublishBatchCommand)
  .callsFake((input: PublishBatchCommandInput) => ({
    Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm' })),
    Failed: [],
  }));
// Lambda ships stdout to CloudWatch; here it would only slow the run down.
process.stdout.write = () => true;

const initStart = process.cpuUsage();
const initWall = performance.now();
const entry = (await import(`../${SWEEP_HANDLER.entry}`)) as Record<
  string,
  (event: unknown, context: Context) => Promise<HandlerResult>
>;
const handler = entry[SWEEP_HANDLER.export];
if (!handler) throw new Error('the entry exports no handler');
const init = { wallMs: performance.now() - initWall, cpu: process.cpuUsage(initStart) };

const runs = [];
for (let i = 0; i < invocations; i++) {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const result = await handler(
    { scheduledTime: new Date(Date.now() - (invocations - i) * 1000).toISOString().replace(/\.\d+Z$/, 'Z') },
    { awsRequestId: `bench-${i}`, getRemainingTimeInMillis: () => 895_000 } as unknown as Context,
  );
  const used = process.cpuUsage(cpu);
  if (result.status !== 'swept') throw new Error(`invocation ${i} was ${JSON.stringify(result)}`);
  runs.push({
    wallMs: Math.round(performance.now() - wall),
    cpuMs: Math.round((used.user + used.system) / 1000),
    balancesFetched: result.balancesFetched,
    complete: result.complete,
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  });
}
writeFileSync(
  resultFile,
  JSON.stringify({
    init: { wallMs: Math.round(init.wallMs), cpuMs: Math.round((init.cpu.user + init.cpu.system) / 1000) },
    runs,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
  }),
);
process.exit(0);
