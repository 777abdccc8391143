import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FaultSpecError, parseFaultList } from './faults.ts';
import { SIM_OPTIONS } from './options.ts';
import { type SimOptions, startSimulator } from './server.ts';

/**
 * `vobiz-balance sim`: serves the simulator until SIGINT/SIGTERM.
 * Also runnable on its own: `npx tsx sim/main.ts --accounts 100`.
 */

const USAGE = [
  'usage: vobiz-balance sim [options]',
  ...Object.entries(SIM_OPTIONS).map(([name, o]) => `  ${`--${name} ${o.value}`.padEnd(30)}  ${o.help}`),
].join('\n');

export interface SimCommandIO {
  stdout(line: string): void;
  stderr(line: string): void;
}

export interface SimCommandHooks {
  io?: SimCommandIO;
  /** Stops serving like a signal would (for tests and embedding). */
  stop?: AbortSignal;
}

const consoleIO: SimCommandIO = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}

export async function simCommand(argv: string[], hooks: SimCommandHooks = {}): Promise<number> {
  const io = hooks.io ?? consoleIO;
  let options: SimOptions;
  try {
    const parsed = parseFlags(argv);
    if (parsed === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`vobiz-balance sim: ${error.message}`);
    return 2;
  }

  let sim: Awaited<ReturnType<typeof startSimulator>>;
  try {
    sim = await startSimulator(options);
  } catch (error) {
    io.stderr(`vobiz-balance sim: cannot start: ${oneLine(error)}`);
    return 1;
  }
  io.stdout(
    `Vobiz simulator listening on ${sim.url} (API ${sim.url}/api/v1/partner, ${sim.accountIds().length} accounts` +
      `${options.rateLimit === undefined ? '' : `, rate limit ${options.rateLimit} requests/s`}) ` +
      `X-Auth-ID: ${sim.partner.authId} X-Auth-Token: ${sim.partner.authToken}`,
  );

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      hooks.stop?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (hooks.stop?.aborted) stop();
    else hooks.stop?.addEventListener('abort', stop);
  });
  await sim.close();
  return 0;
}

function parseFlags(argv: string[]): SimOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(SIM_OPTIONS).map((name) => [name, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (values.help) return 'help';
  const options: SimOptions = {};
  const int = (flag: string, min: number, max: number): number | undefined => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || !/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new UsageError(`--${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    }
    return Number(raw);
  };
  const text = (flag: string): string | undefined => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`--${flag} must not be empty`);
    return raw;
  };
  const accounts = int('accounts', 0, 1_000_000);
  const port = int('port', 0, 65_535);
  const latencyMs = int('latency-ms', 0, 600_000);
  const seed = int('seed', -2_147_483_648, 4_294_967_295);
  const rateLimit = int('rate-limit', 1, 1_000_000);
  if (accounts !== undefined) options.accounts = accounts;
  if (port !== undefined) options.port = port;
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  if (seed !== undefined) options.seed = seed;
  if (rateLimit !== undefined) options.rateLimit = rateLimit;
  const partnerId = text('partner-id');
  const partnerToken = text('partner-token');
  if (partnerId !== undefined) options.partnerAuthId = partnerId;
  if (partnerToken !== undefined) options.partnerAuthToken = partnerToken;
  const limit = text('per-page-limit');
  if (limit !== undefined) {
    if (limit !== 'clamp' && limit !== 'reject') {
      throw new UsageError(`--per-page-limit must be clamp or reject (got ${JSON.stringify(limit)})`);
    }
    options.perPageLimit = limit;
  }
  const faults = text('faults');
  if (faults !== undefined) {
    try {
      options.faults = parseFaultList(faults);
    } catch (error) {
      if (error instanceof FaultSpecError) throw new UsageError(`--faults: ${error.message}`);
      throw error;
    }
  }
  return options;
}

/** parseArgs explains at length; one line naming the flag is enough here. */
function describeParseError(error: unknown): string {
  const message = oneLine(error);
  const code = (error as { code?: string }).code;
  const flag = /'(-[^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) return `unknown option ${flag} (see --help)`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) return `option ${flag} needs a value`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `${message.split('.')[0]}`;
  return message;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  simCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`vobiz-balance sim: ${oneLine(error)}\n`);
      process.exit(1);
    },
  );
}
