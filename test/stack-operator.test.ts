import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../functions/adapters/local/embedded-dynamo.ts';
import { main } from '../functions/cli/main.ts';
import { BY_DAY_INDEX, TABLE_SCHEMA } from '../functions/contract/table-schema.ts';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { synthesize } from './support/stack-app.ts';
import { type Json, list, logicalId, resources } from './support/template-json.ts';

/*
 * The operator's managed policy is enough and no more: each operator command runs against "the
 * deployed table" (`--table` alone, through the AWS SDK's credential chain) with the DynamoDB
 * endpoint pointed at a recording proxy in front of dynalite; every call it makes is then judged
 * against the policy's statements as IAM would (action, table or index, leading keys).
 */

const TABLE = 'operator-table';
const NOW = '2026-03-15T12:00:00.000Z';

interface Call {
  action: string;
  /** 'table' or 'index/<name>'. */
  resource: string;
  /** The partition keys the call touches (dynamodb:LeadingKeys). */
  leadingKeys: string[];
}

/** Records every DynamoDB call on its way to dynalite. */
async function startRecorder(target: string): Promise<{ server: Server; url: string; calls: Call[] }> {
  const calls: Call[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const input = JSON.parse(body.toString('utf8') || '{}') as Json;
      calls.push(describeCall(String(req.headers['x-amz-target']), input));
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

function pkOf(item: unknown): string {
  return String(((item as Json).pk as Json | undefined)?.S);
}

function describeCall(target: string, input: Json): Call {
  const action = `dynamodb:${target.split('.')[1]}`;
  const resource = input.IndexName ? `index/${input.IndexName}` : 'table';
  let leadingKeys: string[] = [];
  if (input.Item) leadingKeys = [pkOf(input.Item)];
  else if (input.Key) leadingKeys = [pkOf(input.Key)];
  else if (input.RequestItems) {
    leadingKeys = Object.values(input.RequestItems as Record<string, Json>).flatMap((r) =>
      list(r.Keys as Json[]).map(pkOf),
    );
  } else if (input.ExpressionAttributeValues) {
    const pk = Object.values(input.ExpressionAttributeValues as Record<string, Json>)[0];
    leadingKeys = [String(pk?.S)];
  }
  return { action, resource, leadingKeys };
}

function globMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

/** The statement's resources as 'table' / 'index/<name>', read from the template's tokens. */
function resourceKinds(statement: Json, tableId: string): string[] {
  return list(statement.Resource).map((r) => {
    const text = JSON.stringify(r);
    if (text === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] })) return 'table';
    const index = /"\/index\/([^"]+)"/.exec(text)?.[1];
    if (index && text.includes(tableId)) return `index/${index}`;
    throw new Error(`unexpected resource ${text}`);
  });
}

function allowedBy(statements: Json[], tableId: string, call: Call): Json | undefined {
  return statements.find((s) => {
    if (!list(s.Action as string).includes(call.action)) return false;
    if (!resourceKinds(s, tableId).includes(call.resource)) return false;
    const like = ((s.Condition as Json | undefined)?.['ForAllValues:StringLike'] as Json | undefined)?.[
      'dynamodb:LeadingKeys'
    ];
    if (like === undefined) return true;
    return call.leadingKeys.every((key) => list(like as string[]).some((p) => globMatches(p, key)));
  });
}

let sim: Simulator;
let dynamo: EmbeddedDynamo;
let recorder: Awaited<ReturnType<typeof startRecorder>>;
let statements: Json[];
let tableId: string;
let dir: string;
let accounts: string[];

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: (line) => {
      out += `${line}\n`;
    },
    stderr: (line) => {
      err += `${line}\n`;
    },
    write: (chunk) => {
      out += chunk;
    },
    env: {
      ...process.env,
      USER: 'ops',
      VOBIZ_AUTH_ID: sim.partner.authId,
      VOBIZ_AUTH_TOKEN: sim.partner.authToken,
    },
    clock: () => Date.parse(NOW),
  });
  return { code, out, err };
}

beforeAll(async () => {
  const { stack, template } = synthesize();
  tableId = logicalId(stack, stack.table);
  const [, policy] = resources(template, 'AWS::IAM::ManagedPolicy')[0] as [string, Json];
  // The DynamoDB statements: the archive's S3 reads are checked on the template (test/stack.test.ts).
  statements = (((policy.Properties as Json).PolicyDocument as Json).Statement as Json[]).filter((s) =>
    list(s.Action as string).every((a) => a.startsWith('dynamodb:')),
  );

  dir = mkdtempSync(join(tmpdir(), 'vobiz-operator-'));
  sim = await startSimulator({ accounts: 12, seed: 21 });
  accounts = sim.accountIds();
  dynamo = await startEmbeddedDynamo({ dataDir: null });
  recorder = await startRecorder(dynamo.endpoint);
  // The deployed table is the stack's: a sweep (the function's job, not the operator's) fills it.
  const seeded = await cli([
    'sweep',
    '--base-url',
    sim.url,
    '--dynamodb-endpoint',
    dynamo.endpoint,
    '--table',
    TABLE,
    '--now',
    NOW,
    '--alerts-file',
    join(dir, 'alerts.jsonl'),
  ]);
  expect(seeded.code, seeded.err).toBe(0);
  vi.stubEnv('AWS_REGION', 'ap-south-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'operator');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'operator');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', recorder.url);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => recorder?.server.close(resolve));
  await sim?.close();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Each operator command as DEPLOY.md shows it, against the deployed table by name. */
const COMMANDS: Array<[string, () => string[]]> = [
  ['history', () => ['history', accounts[0] as string, '--table', TABLE]],
  ['closing', () => ['closing', '--date', '2026-03-15', '--now', NOW, '--table', TABLE]],
  ['statement', () => ['statement', '--month', '2026-03', '--now', NOW, '--table', TABLE]],
  ['report', () => ['report', '--out', join(dir, 'report.html'), '--now', NOW, '--table', TABLE]],
  ['thresholds set', () => ['thresholds', 'set', accounts[1] as string, '--low', '50', '--table', TABLE]],
  [
    'thresholds default',
    () => ['thresholds', 'default', '--currency', 'USD', '--low', '5', '--table', TABLE],
  ],
  ['thresholds list', () => ['thresholds', 'list', '--now', NOW, '--table', TABLE]],
  [
    'mute',
    () => [
      'mute',
      accounts[2] as string,
      '--until',
      '3d',
      '--reason',
      'agreed',
      '--now',
      NOW,
      '--table',
      TABLE,
    ],
  ],
  ['unmute', () => ['unmute', accounts[2] as string, '--now', NOW, '--table', TABLE]],
  ['thresholds unset', () => ['thresholds', 'unset', accounts[1] as string, '--table', TABLE]],
  ['audit', () => ['audit', '--table', TABLE]],
];

describe('the operator policy', () => {
  it.each(COMMANDS)('is enough for `%s` against the deployed table', async (_name, argv) => {
    // Arrange
    recorder.calls.length = 0;

    // Act
    const result = await cli(argv());

    // Assert
    expect(result.code, result.err).toBe(0);
    expect(recorder.calls.length).toBeGreaterThan(0);
    const refused = recorder.calls.filter((call) => !allowedBy(statements, tableId, call));
    expect(refused).toEqual([]);
  });

  it('needs each of its statements: reading history alone cannot change a threshold', async () => {
    // Arrange
    recorder.calls.length = 0;
    const readOnly = statements.filter((s) => s.Sid === 'ReadHistory');

    // Act
    const result = await cli([
      'mute',
      accounts[3] as string,
      '--until',
      '1d',
      '--reason',
      'x',
      '--table',
      TABLE,
    ]);

    // Assert
    expect(result.code, result.err).toBe(0);
    const refused = recorder.calls.filter((call) => !allowedBy(readOnly, tableId, call));
    expect(refused.map((c) => c.action)).toContain('dynamodb:PutItem');
    expect(refused.flatMap((c) => c.leadingKeys)).toEqual(expect.arrayContaining(['AUDIT']));
  });

  it('does not let an operator run a sweep: its sweep record and run lease are refused', async () => {
    // Arrange
    recorder.calls.length = 0;

    // Act: a sweep through the recorder, with the operator's credentials
    await cli([
      'sweep',
      '--base-url',
      sim.url,
      '--table',
      TABLE,
      '--now',
      NOW,
      '--alerts-file',
      join(dir, 'alerts-2.jsonl'),
    ]);

    // Assert
    const refused = recorder.calls.filter((call) => !allowedBy(statements, tableId, call));
    expect(refused.flatMap((c) => c.leadingKeys)).toContain('SWEEP');
  });

  it('reads the byDay index only: the registry index is the sweep’s', () => {
    const indexes = statements
      .flatMap((s) => resourceKinds(s, tableId))
      .filter((r) => r.startsWith('index/'));
    expect(indexes).toEqual([`index/${BY_DAY_INDEX}`]);
    expect(TABLE_SCHEMA.globalIndexes.length).toBeGreaterThan(1);
  });
});
