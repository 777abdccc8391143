/**
 * Ctrl-C and SIGTERM during a sweep: the first asks the sweep to stop (it publishes what it claimed,
 * or releases it at once, records itself as interrupted and prints its partial summary); a second one
 * exits at once. The handlers exist only while the sweep runs.
 */

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type TrappedSignal = keyof typeof EXIT_CODES;

export interface Interrupt {
  /** Aborts on the first signal. */
  readonly signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM, null while none came. */
  exitCode(): number | null;
  /** Removes the handlers. */
  release(): void;
}

export function trapInterrupts(say: (line: string) => void): Interrupt {
  const controller = new AbortController();
  let received: TrappedSignal | null = null;
  const handlers = new Map<TrappedSignal, () => void>();
  for (const name of Object.keys(EXIT_CODES) as TrappedSignal[]) {
    const handler = () => {
      if (received) {
        say(`vobiz-balance sweep: ${name} again: exiting at once`);
        process.exit(EXIT_CODES[name]);
      }
      received = name;
      say(
        `vobiz-balance sweep: ${name}: stopping; publishing what this sweep claimed (${name === 'SIGINT' ? 'Ctrl-C' : name} again to quit at once)`,
      );
      controller.abort(new Error(`interrupted by ${name}`));
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  return {
    signal: controller.signal,
    exitCode: () => (received ? EXIT_CODES[received] : null),
    release: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
