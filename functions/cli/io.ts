/** What a command may touch of the outside world: the process's, or a test's capture. */
export interface CliIO {
  /** One line for stdout (the newline is added). */
  stdout(line: string): void;
  /** One line for stderr (the newline is added). */
  stderr(line: string): void;
  /** Bytes for stdout exactly as given: CSV keeps its CRLF, a JSON document its last newline. */
  write(chunk: string): void;
  env: Record<string, string | undefined>;
  /** Epoch milliseconds; the real clock unless a test injects one. */
  clock?: () => number;
  /** Waits between retries of the partner API; real timers unless a test injects its own. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** stdout is a terminal: colour there (unless NO_COLOR). */
  stdoutIsTTY?: boolean;
  /** stderr is a terminal: colour there, and a long command's live progress line. */
  stderrIsTTY?: boolean;
  /** The width of stderr's terminal, in columns (the progress line is cut to fit). */
  columns?: number;
  /** Bytes for stderr exactly as given: the progress line's redrawing. */
  writeStderr?(chunk: string): void;
}

export function processIO(): CliIO {
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    write: (chunk) => process.stdout.write(chunk),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns || 80,
    writeStderr: (chunk) => process.stderr.write(chunk),
  };
}

export function clockOf(io: Pick<CliIO, 'clock'>): () => number {
  return io.clock ?? Date.now;
}
