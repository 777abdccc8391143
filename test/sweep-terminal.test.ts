import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters as plain } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../sim/server.ts';
import { runCli } from './support/cli.ts';

/**
 * `vobiz-balance sweep` at a terminal, in process against the simulator, with a fake TTY that
 * records both streams as the terminal receives them: the live progress line on stderr, the
 * colours, and what is left on the screen once the sweep is over.
 */

const ERASE = '\x1b[2K';
const CLEAR = `\r${ERASE}`;
const red = (text: string) => `\x1b[31m${text}\x1b[39m`;
const yellow = (text: string) => `\x1b[33m${text}\x1b[39m`;
const green = (text: string) => `\x1b[32m${text}\x1b[39m`;

let sim: Simulator;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ accounts: 30, seed: 5 });
  dir = await mkdtemp(join(tmpdir(), 'vobiz-terminal-'));
  env = { VOBIZ_AUTH_ID: sim.partner.authId, VOBIZ_AUTH_TOKEN: sim.partner.authToken };
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** A clock that moves 40 ms each time it is read, so a short sweep lasts long enough to redraw. */
function slowClock(): () => number {
  let now = Date.parse('2026-11-27T06:00:00Z');
  return () => {
    now += 40;
    return now;
  };
}

/**
 * The lines a terminal shows after receiving `text`: a carriage return goes back to the start
 * of the line, ESC[2K erases it, colours take no room.
 */
function screen(text: string): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  let column = 0;
  for (const [i, erased] of text.split(ERASE).entries()) {
    if (i > 0) line = [];
    for (const char of plain(erased)) {
      if (char === '\r') column = 0;
      else if (char === '\n') {
        lines.push(line.join(''));
        line = [];
        column = 0;
      } else line[column++] = char;
    }
  }
  if (line.join('') !== '') lines.push(line.join(''));
  return lines;
}

const linesOf = (text: string) => text.split('\n');

const sweep = (
  dataDir: string,
  args: string[],
  options: { tty?: boolean; env?: Record<string, string> } = {},
) =>
  runCli(['sweep', '--base-url', sim.url, '--data-dir', join(dir, dataDir), ...args], {
    env: { ...env, ...options.env },
    clock: slowClock(),
    ...(options.tty === false ? {} : { tty: { columns: 72 } }),
  });

describe('a sweep at a terminal', () => {
  it('draws its progress on stderr in place, one line cut to the width, and leaves only whole lines on the screen', async () => {
    // Act: a first sweep prints alerts over the line; a quiet repeat leaves it drawn to the end.
    const first = await sweep('progress', []);
    const repeat = await sweep('progress', []);

    // Assert
    for (const run of [first, repeat]) {
      expect(run.code).toBe(0);
      const drawings = run.stderr.split(CLEAR).filter((d) => d !== '');
      expect(drawings.length).toBeGreaterThan(run === first ? 1 : 0);
      for (const drawing of drawings) {
        expect(drawing).not.toContain('\n');
        expect(Array.from(drawing).length).toBeLessThan(72);
      }
      // What remains is what was printed, every line whole, and no trace of the progress line.
      expect(screen(run.terminal ?? '')).toEqual(linesOf(plain(run.stdout).trimEnd()));
    }
    // Each account's outcome moves the count: it only grows, and reaches the accounts read.
    const counts = first.stderr
      .split(CLEAR)
      .map((d) => /^read (\d+) of 30 listed \(30 in the API\)/.exec(d)?.[1])
      .filter((n) => n !== undefined)
      .map(Number);
    expect(counts.length).toBeGreaterThan(1);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBeGreaterThan(15);
    expect(counts.at(-1)).toBeLessThanOrEqual(30);
    expect(repeat.stdout).toMatch(/^sweep complete in [\d.]+ s: 30 listed, 30 read/);
  });

  it('with --verbose, prints each alert as it is decided, before the sweep delivers any, and keeps the log whole between redrawings', async () => {
    // Act
    const run = await sweep('verbose', ['--verbose']);

    // Assert
    expect(run.code).toBe(0);
    const shown = screen(run.terminal ?? '');
    expect(shown).toContain('page 1: 30 account(s) of 30');
    expect(shown.filter((l) => /listed \(|listing accounts/.test(l))).toEqual([]);
    const decided = shown.filter((l) => l.startsWith('decided: ')).map((l) => l.slice('decided: '.length));
    const delivered = shown.filter((l) => /^(LOW|CRITICAL) /.test(l));
    expect(delivered.length).toBeGreaterThan(0);
    expect([...decided].sort()).toEqual([...delivered].sort());
    expect(shown.findLastIndex((l) => l.startsWith('decided: '))).toBeLessThan(
      shown.findIndex((l) => /^(LOW|CRITICAL) /.test(l)),
    );
    expect(linesOf(run.stderr).some((l) => l.includes(`decided: ${red('CRITICAL')} `))).toBe(true);
  });

  it('with --verbose and stderr not a terminal, writes the log as plain lines: no progress, no colour', async () => {
    // Act
    const run = await sweep('verbose-piped', ['--verbose'], { tty: false });

    // Assert
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^page 1: 30 account\(s\) of 30\n/);
    expect(run.stderr).toMatch(/^decided: (LOW|CRITICAL) .+ \(MA_[A-Z0-9]+\): balance /m);
    expect([...run.stderr].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
  });

  it('colours the alerts as they print: critical red, low yellow, then recovered green', async () => {
    // Arrange
    const first = await sweep('colour', []);
    const lowLine = linesOf(first.stdout).find((l) => l.startsWith(`${yellow('LOW')} `));
    const low = /\((MA_[A-Z0-9]+)\)/.exec(lowLine ?? '')?.[1] as string;
    sim.setBalance(low, '5000.00000');

    // Act
    const second = await sweep('colour', []);

    // Assert
    expect(linesOf(first.stdout).some((l) => l.startsWith(`${red('CRITICAL')} `))).toBe(true);
    const levels = linesOf(first.stdout).find((l) => l.startsWith('levels: ')) ?? '';
    expect(levels).toMatch(/^levels: \d+ OK, /);
    const [, lowCount, criticalCount] = /(\d+) LOW, (\d+) CRITICAL/.exec(plain(levels)) ?? [];
    expect(levels).toContain(`, ${yellow(`${lowCount} LOW`)}, ${red(`${criticalCount} CRITICAL`)}`);
    expect(low).toMatch(/^MA_/);
    const recovered = linesOf(second.stdout).filter((l) => l.startsWith(`${green('RECOVERED')} `));
    expect(recovered).toEqual([expect.stringContaining(`(${low})`)]);
  });

  it('uses no colour when NO_COLOR is set, nor when stdout is not a terminal', async () => {
    // Act
    const noColor = await sweep('no-color', [], { env: { NO_COLOR: '1' } });
    const piped = await sweep('piped', [], { tty: false });

    // Assert
    for (const run of [noColor, piped]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^(LOW|CRITICAL) /m);
      expect(run.stdout).not.toContain('\x1b');
    }
    expect(piped.stderr).toBe('');
  });

  it('with --json, leaves stdout one JSON document, no colour and no control character; alerts go to stderr coloured', async () => {
    // Act
    const run = await sweep('json', ['--json']);

    // Assert
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ accountsListed: 30, complete: true });
    expect([...run.stdout].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
    expect(linesOf(run.stderr).some((l) => l.startsWith(`${red('CRITICAL')} `))).toBe(true);
    expect(screen(run.stderr).filter((l) => /^sweep complete in /.test(l))).toHaveLength(1);
  });
});
