import { main } from '../../functions/cli/main.ts';

/** What one run of the command line left behind, as a process would: its exit status and both streams. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** With `tty`: both streams as one terminal received them, in order, control characters included. */
  terminal?: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** The clock the command reads (the audit's stamp, --now's default, the sweep's deadline). */
  clock?: () => number;
  /**
   * The waits between retries of the partner API. None by default: the retries themselves, their
   * count and outcome are the command's own, only the time between them is skipped (the backoff
   * is vobiz-client.test.ts's to check). `null`: real timers.
   */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | null;
  /**
   * Both streams are a terminal this many columns wide, as an interactive run has them: stderr
   * then holds the progress line's redrawing, control characters included.
   */
  tty?: { columns: number };
}

/** Returns at once, as the real wait does when its signal has aborted. */
async function noWait(_ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
}

/**
 * Runs `vobiz-balance <argv>` in this process through the same `main` the installed entry
 * calls: real parsing, the real simulator over HTTP, the real store, only the streams captured.
 */
export async function runCli(argv: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let terminal = '';
  const code = await main(argv, {
    stdout: (line) => {
      stdout += `${line}\n`;
      terminal += `${line}\n`;
    },
    stderr: (line) => {
      stderr += `${line}\n`;
      terminal += `${line}\n`;
    },
    write: (chunk) => {
      stdout += chunk;
      terminal += chunk;
    },
    env: options.env ?? {},
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.sleep === null ? {} : { sleep: options.sleep ?? noWait }),
    ...(options.tty
      ? {
          stdoutIsTTY: true,
          stderrIsTTY: true,
          columns: options.tty.columns,
          writeStderr: (chunk: string) => {
            stderr += chunk;
            terminal += chunk;
          },
        }
      : {}),
  });
  return { code, stdout, stderr, ...(options.tty ? { terminal } : {}) };
}
