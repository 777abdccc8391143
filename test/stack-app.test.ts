import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DISTRIBUTED_ENV,
  ENV,
  START_HANDLER,
  STEP_HANDLERS,
  SWEEP_HANDLER,
} from '../functions/contract/handler.ts';
import { parseStackConfig } from '../lib/config.ts';
import { BUNDLING, PROJECT_ROOT } from '../lib/sweep-function.ts';
import { CDK_JSON, DEFAULTS, synthesize } from './support/stack-app.ts';
import { type Json, logicalId } from './support/template-json.ts';

/*
 * The one real `cdk synth`: bin/app.ts as the CDK CLI runs it, in a process of its own, with
 * esbuild bundling and cdk-nag. Every other stack test synthesizes in-process without bundling.
 * CDK's built-in CloudFormation validation is off here too (CDK_VALIDATION=false): its WebAssembly
 * engine alone takes 8 to 16 s of CPU, it checks CloudFormation's schema rather than this
 * project, and `cdk synth` / `cdk deploy` still run it for the deployer.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: PROJECT_ROOT, timeout: 90_000, env }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let out: string;
let synth: Promise<Run>;
let badSchedule: Promise<Run>;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'vobiz-cdk-'));
  // What `cdk synth` runs (cdk.json "app"), writing the cloud assembly to CDK_OUTDIR; the CLI
  // passes context, -c values included, in CDK_CONTEXT_JSON.
  const command = CDK_JSON.app.split(' ');
  expect(command.slice(0, 2)).toEqual(['npx', 'tsx']);
  const args = ['--import', 'tsx', ...command.slice(2)];
  const env = { ...process.env, CDK_VALIDATION: 'false' };
  synth = run(args, { ...env, CDK_CONTEXT_JSON: JSON.stringify(CDK_JSON.context), CDK_OUTDIR: out });
  badSchedule = run(args, {
    ...env,
    CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON.context, schedule: 'banana' }),
    CDK_OUTDIR: join(out, 'bad'),
  });
});

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

/** The same stack synthesized in-process, once: what the template tests check. */
let inProcess: ReturnType<typeof synthesize> | undefined;
const local = () => {
  inProcess ??= synthesize();
  return inProcess;
};

async function synthesized(): Promise<{ Resources: Record<string, Json> }> {
  const result = await synth;
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(readFileSync(join(out, `${DEFAULTS.stackName}.template.json`), 'utf8'));
}

/** What the stack gives the function, for importing the entry (it validates env at import). */
const HANDLER_ENV = {
  AWS_REGION: 'ap-south-1',
  [ENV.tableName]: 'history',
  [ENV.secretId]: 'vobiz/partner-credentials',
  [ENV.alertTopicArn]: 'arn:aws:sns:ap-south-1:123456789012:alerts',
  [ENV.apiBaseUrl]: 'https://api.vobiz.ai',
  [ENV.sweepConfig]: JSON.stringify(parseStackConfig(DEFAULTS).sweep),
  [ENV.partnerThreshold]: '1000',
  [ENV.digestSize]: '10',
  [ENV.schedulePeriodMinutes]: '15',
};

/**
 * Loads each bundle as Lambda's runtime does, in a Node process of its own with the given
 * environment and Node's own loader (not the test runner's, which would transform megabytes of
 * minified code first), and says which of its exports are functions.
 */
async function functionExports(
  bundles: string[],
  env: Record<string, string>,
): Promise<Array<string[] | { error: string }>> {
  const script = `const out = [];
for (const url of JSON.parse(process.argv[1])) {
  try {
    const loaded = await import(url);
    out.push(Object.keys(loaded).filter((name) => typeof loaded[name] === 'function'));
  } catch (error) {
    out.push({ error: String(error) });
  }
}
process.stdout.write(JSON.stringify(out));`;
  const urls = JSON.stringify(bundles.map((bundle) => pathToFileURL(bundle).href));
  const result = await run(['--input-type=module', '-e', script, urls], {
    PATH: process.env.PATH,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...env,
  });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

// Each test waits for the synth started above; on a loaded machine that takes a while.
describe('cdk synth of bin/app.ts', { timeout: 120_000 }, () => {
  it('synthesizes the same stack the template tests check, resource for resource', async () => {
    const template = await synthesized();
    expect(Object.keys(template.Resources).sort()).toEqual(
      Object.keys(local().template.toJSON().Resources).sort(),
    );
  });

  it('runs cdk-nag, which reports nothing and writes the acknowledgements into the template', async () => {
    const template = await synthesized();
    const secret = Object.values(template.Resources).find((r) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secret?.Metadata).toMatchObject({
      cdk_nag: { rules_to_suppress: [expect.objectContaining({ id: 'AwsSolutions-SMG4' })] },
    });
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('ships one esbuild bundle per entry, minified, which loads and exports the handler the contract names', async () => {
    const template = await synthesized();
    const { stack } = local();
    const sweep = template.Resources[logicalId(stack, stack.sweepFunction)]?.Properties as Json;
    expect(sweep.Handler).toBe(`index.${SWEEP_HANDLER.export}`);
    const s3Key = String((sweep.Code as Json).S3Key);
    const bundle = join(out, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs');
    const code = readFileSync(bundle, 'utf8');
    expect(existsSync(join(PROJECT_ROOT, SWEEP_HANDLER.entry))).toBe(true);
    // Minified: a few very long lines instead of one statement per line.
    expect(code.split('\n').length).toBeLessThan(code.length / 500);
    expect(statSync(bundle).size).toBeGreaterThan(1000);
    // The bundle itself loads (ESM, require shim for CommonJS dependencies) and exports the handler.
    const [loaded] = await functionExports([bundle], HANDLER_ENV);
    expect(loaded).toContain(SWEEP_HANDLER.export);
  });

  it('bundles the distributed engine’s entries the same way, and each loads and exports what its functions name', async () => {
    // The app above bundles the single engine; the workflow's entries go through the same esbuild
    // settings here (lib/sweep-function.ts BUNDLING), which is all a synth with engine=distributed adds.
    const bundles = join(out, 'distributed');
    await build({
      entryPoints: [START_HANDLER.entry, STEP_HANDLERS.entry].map((e) => join(PROJECT_ROOT, e)),
      outdir: bundles,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      target: 'node24',
      minify: BUNDLING.minify,
      format: BUNDLING.format,
      mainFields: [...BUNDLING.mainFields],
      banner: { js: BUNDLING.banner },
      logLevel: 'error',
    });
    const [starter, steps] = await functionExports(
      ['start-sweep.mjs', 'sweep-steps.mjs'].map((file) => join(bundles, file)),
      {
        ...HANDLER_ENV,
        [DISTRIBUTED_ENV.stateMachineArn]: 'arn:aws:states:ap-south-1:123456789012:stateMachine:sweep',
        [DISTRIBUTED_ENV.workBucket]: 'vobiz-archive',
        [DISTRIBUTED_ENV.shardRequestsPerSecond]: '33.33',
      },
    );
    expect(starter).toContain(START_HANDLER.export);
    expect(steps).toEqual(expect.arrayContaining([STEP_HANDLERS.steps, STEP_HANDLERS.shards]));
  });

  it('fails on `-c schedule=banana` with one line that names the key', async () => {
    const result = await badSchedule;
    expect(result.code).not.toBe(0);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('-c schedule'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^-c schedule=banana: must be rate\(/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
