import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirError } from '../functions/cli/store-options.ts';
import { ConfigError } from '../functions/core/errors.ts';
import { CONTEXT_KEY, readStackConfig } from '../lib/config.ts';
import { runCli } from './support/cli.ts';

/**
 * Every refusal names the option as the user typed it, in one stderr line, with exit
 * status 2, before anything is read or written. No network is needed: the checks come first.
 */

let dir: string;
let file: string;
let storeIsFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vobiz-cli-errors-'));
  file = join(dir, 'a-file');
  await writeFile(file, 'not a directory');
  storeIsFile = join(dir, 'store-is-a-file');
  await mkdir(storeIsFile);
  await writeFile(join(storeIsFile, 'dynamodb'), '');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = { VOBIZ_AUTH_ID: 'PA_TEST0001', VOBIZ_AUTH_TOKEN: 'token' };
/** Where a sweep would go if it got that far: nothing listens there. */
const nowhere = ['--base-url', 'http://127.0.0.1:9'];

describe('the command line refuses bad input in one line that names the option', () => {
  it.each<[string[], string]>([
    [['sweep', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 256, got "0"'],
    [['sweep', '--concurrency', 'many'], '--concurrency must be a whole number from 1 to 256, got "many"'],
    [['sweep', '--concurrency', '2.5'], '--concurrency must be a whole number from 1 to 256, got "2.5"'],
    [['sweep', '--rps', '0'], '--rps must be a number above 0 and at most 10000, got "0"'],
    [['sweep', '--timeout-ms', '0'], '--timeout-ms must be a whole number from 1 to 600000, got "0"'],
    [['sweep', '--threshold', '-5'], '--threshold must not be negative, got "-5"'],
    [['sweep', '--threshold=-5'], '--threshold must not be negative, got "-5"'],
    [
      ['sweep', '--threshold', 'lots'],
      '--threshold must be a decimal amount such as 100 or 99.50, got "lots"',
    ],
    [['sweep', '--critical', '-0.5'], '--critical must not be negative, got "-0.5"'],
    [
      ['sweep', '--threshold', '10', '--critical', '20'],
      '--critical must not be above the low threshold, got "20"',
    ],
    [
      ['sweep', '--currency-threshold', 'USD=-5'],
      '--currency-threshold low must not be negative, got "USD=-5"',
    ],
    [
      ['sweep', '--currency-threshold', 'USD=5:9'],
      '--currency-threshold critical must not be above low, got "USD=5:9"',
    ],
    [
      ['sweep', '--currency-threshold', 'dollars'],
      '--currency-threshold must look like USD=5 or USD=5:1, got "dollars"',
    ],
    [
      ['sweep', '--spike-min', 'USD=lots'],
      '--spike-min must be a decimal amount such as 100 or 99.50, got "USD=lots"',
    ],
    [['sweep', '--spike-factor', '0.5'], '--spike-factor must be above 1, got "0.5"'],
    [['sweep', '--spike-min-amount', '0'], '--spike-min-amount must be positive, got "0"'],
    [['sweep', '--hysteresis-percent', '-3'], '--hysteresis-percent must not be negative, got "-3"'],
    [
      ['sweep', '--reminder-hours', '0'],
      '--reminder-hours must be a number of hours above 0 and at most 8760, got "0"',
    ],
    [
      ['sweep', '--forecast-horizon-hours', 'soon'],
      '--forecast-horizon-hours must be a number of hours above 0 and at most 8760, got "soon"',
    ],
    [
      ['sweep', '--min-history-hours', '200'],
      '--min-history-hours must be a number of hours above 0 and at most 168, got "200"',
    ],
    [
      ['sweep', '--retention-days', '1.5'],
      '--retention-days must be a whole number of days from 1 to 3650, got "1.5"',
    ],
    [
      ['sweep', '--timezone', 'Mars/Olympus'],
      '--timezone must be an IANA time zone such as Asia/Kolkata, got "Mars/Olympus"',
    ],
    [['sweep', '--partner-threshold', '-1'], '--partner-threshold must not be negative, got "-1"'],
    [
      ['sweep', '--partner-threshold', 'plenty'],
      '--partner-threshold must be a decimal amount such as 1000, got "plenty"',
    ],
    [['sweep', '--deadline-seconds', '0'], '--deadline-seconds must be a number of seconds above 0, got "0"'],
    [['sweep', '--balance-source', 'cache'], '--balance-source must be endpoint or list, got "cache"'],
    [['sweep', '--period-minutes', '0'], '--period-minutes must be a whole number from 1 to 1440, got "0"'],
    [
      ['sweep', '--list-disagreement-limit', '-1'],
      '--list-disagreement-limit must be a whole number from 0 to 1000000, got "-1"',
    ],
    [
      ['sweep', '--now', 'yesterday'],
      '--now must be an ISO time with a zone, e.g. 2026-11-27T09:00:00Z, got "yesterday"',
    ],
    [['sweep', '--format', 'xml'], '--format must be one of table, json, got "xml"'],
    [['sweep', '--frobnicate'], 'unknown option --frobnicate (see --help)'],
    [['sweep', '-x'], 'unknown option -x (see --help)'],
    [['sweep', '--concurrency'], '--concurrency needs a value (see --help)'],
    [
      ['sweep', '--concurrency', '--json'],
      '--concurrency needs a value (write --concurrency=-x for one starting with "-") (see --help)',
    ],
    [['sweep', '--json=yes'], '--json takes no value (see --help)'],
    [['sweep', 'now'], 'unexpected argument "now" (see --help)'],
    [['report', '--out', 'r.html', '--threshold', '-5'], '--threshold must not be negative, got "-5"'],
    [['report', '--out', 'r.html', '--critical=-1'], '--critical must not be negative, got "-1"'],
    [['report', '--out', 'r.html', '--days', '0'], '--days must be a whole number from 1 to 400, got "0"'],
    [['thresholds', 'set', 'MA_X', '--low', '-5'], '--low must not be negative, got "-5"'],
    [
      ['thresholds', 'default', '--low', '5', '--critical', '-1'],
      '--critical must not be negative, got "-1"',
    ],
    [['history', 'MA_X', '--limit', '-1'], '--limit must be a whole number from 1 to 1000000, got "-1"'],
    [['closing', '--lookback-days', '-1'], '--lookback-days must be a whole number from 0 to 366, got "-1"'],
    [
      ['audit', '--timezone', 'Nowhere'],
      '--timezone must be an IANA time zone such as Asia/Kolkata, got "Nowhere"',
    ],
  ])('%j', async (argv, message) => {
    // Act
    const [command = '', ...rest] = argv;
    const run = await runCli([command, ...(command === 'sweep' ? nowhere : []), ...rest], { env });

    // Assert
    expect(run).toEqual({ code: 2, stdout: '', stderr: `vobiz-balance ${argv[0]}: ${message}\n` });
  });
});

describe('data-dir problems are one line naming --data-dir, never "unexpected error"', () => {
  it.each<[string, (d: string) => string[], (d: string) => string]>([
    [
      'sweep into a file',
      (d) => ['sweep', ...nowhere, '--data-dir', d],
      (d) => `--data-dir ${d} is not a directory`,
    ],
    [
      'read from a file',
      (d) => ['history', 'MA_X', '--data-dir', d],
      (d) => `--data-dir ${d} is not a directory`,
    ],
    [
      'read below a file',
      (d) => ['closing', '--data-dir', join(d, 'x')],
      (d) => `--data-dir ${join(d, 'x')} is not a directory`,
    ],
  ])('%s', async (_, argv, message) => {
    // Act
    const run = await runCli(argv(file), { env });

    // Assert
    const command = argv(file)[0];
    expect(run).toEqual({ code: 2, stdout: '', stderr: `vobiz-balance ${command}: ${message(file)}\n` });
  });

  it('names a store directory that is a file', async () => {
    // Act
    const run = await runCli(['sweep', ...nowhere, '--data-dir', storeIsFile], { env });

    // Assert
    expect(run.stderr).toBe(
      `vobiz-balance sweep: --data-dir ${storeIsFile}: ${join(storeIsFile, 'dynamodb')} is not a directory\n`,
    );
  });

  it('says permission denied for a data dir it may not read', () => {
    // (Tests run as root here, where no directory is out of reach: the mapping is checked directly.)
    const denied = Object.assign(new Error("EACCES: permission denied, stat '/srv/x'"), { code: 'EACCES' });

    // Act
    const error = dataDirError('/srv/x', denied);

    // Assert
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('--data-dir: permission denied on /srv/x');
  });
});

describe('the root command line', () => {
  it('shows the usage on stderr with exit 2 for a missing command', async () => {
    // Act
    const run = await runCli([]);

    // Assert
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe('Usage: vobiz-balance <command> [options]');
  });
});

describe('`cdk synth -c key=value` refuses a bad value naming -c and the key as typed', () => {
  it.each<[Record<string, string>, string]>([
    [{ concurrency: '0' }, '-c concurrency=0: must be a whole number from 1 to 256'],
    [{ threshold: '-5' }, '-c threshold=-5: must not be negative'],
    [{ critical: '-1' }, '-c critical=-1: must not be negative'],
    [{ partnerThreshold: '-5' }, '-c partnerThreshold=-5: must not be negative'],
    [{ requestsPerSecond: '0' }, '-c requestsPerSecond=0: must be a number above 0 and at most 10000'],
    [{ memorySize: '64' }, '-c memorySize=64: must be a whole number of MB from 128 to 10240'],
    [
      { schedule: 'banana' },
      '-c schedule=banana: must be rate(<n> minute|minutes|hour|hours|day|days), e.g. rate(15 minutes), or cron(<6 fields>) with schedulePeriodMinutes',
    ],
    [
      { currencyThresholds: '{"USD":{"low":"-5"}}' },
      '-c currencyThresholds={"USD":{"low":"-5"}}: USD.low must not be negative',
    ],
    [
      { timeoutSeconds: '900' },
      '-c timeoutSeconds=900: must be below the schedule period of 900 s, so runs do not overlap (got 900)',
    ],
    [{ treshold: '5' }, '-c treshold: unknown setting (the settings are listed in docs/DEPLOY.md)'],
  ])('%j', (overrides, message) => {
    // Arrange
    const context: Record<string, unknown> = { [CONTEXT_KEY]: {}, ...overrides };

    // Act
    const read = () => readStackConfig({ tryGetContext: (k) => context[k], getAllContext: () => context });

    // Assert
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new ConfigError(message));
  });

  it('still names the cdk.json key, with the value found, when the bad value is there', () => {
    // Arrange
    const context: Record<string, unknown> = { [CONTEXT_KEY]: { concurrency: 0, threshold: '5' } };

    // Act
    const read = () => readStackConfig({ tryGetContext: (k) => context[k], getAllContext: () => context });

    // Assert
    expect(read).toThrow(
      new ConfigError('vobizBalance: concurrency must be a whole number from 1 to 256 (got 0)'),
    );
  });
});
