import { main } from '../../functions/cli/main.ts';

/** What one run of the command line left behind, as a process would: its exit status and both streams. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** The clock the command reads (the audit's stamp, --now's default, the sweep's deadline). */
  clock?: () => number;
}

/**
 * Runs `vobiz-balance <argv>` in this process through the same `main` the installed entry
 * calls: real parsing, the real simulator over HTTP, the real store, only the streams captured.
 */
export async function runCli(argv: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (line) => {
      stdout += `${line}\n`;
    },
    stderr: (line) => {
      stderr += `${line}\n`;
    },
    write: (chunk) => {
      stdout += chunk;
    },
    env: options.env ?? {},
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { code, stdout, stderr };
}
