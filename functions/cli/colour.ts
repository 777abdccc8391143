import type { Notification } from '../core/types.ts';

/**
 * Colour for people at a terminal, never for files, pipes or JSON: only when the stream is a
 * TTY, and never when NO_COLOR is set to anything but the empty string (https://no-color.org).
 * Critical is red, low yellow, recovered green; everything else stays plain.
 */

export type Paint = (text: string, hue: Hue) => string;
export type Hue = 'red' | 'yellow' | 'green';

const SGR: Record<Hue, string> = { red: '31', yellow: '33', green: '32' };

export function painter(isTTY: boolean | undefined, env: Record<string, string | undefined>): Paint {
  if (isTTY !== true || (env.NO_COLOR ?? '') !== '') return (text) => text;
  return (text, hue) => `\x1b[${SGR[hue]}m${text}\x1b[39m`;
}

/** The hue of a notification, if it has one: by the level it reports, recoveries green. */
export function hueOf(n: Pick<Notification, 'type' | 'level'>): Hue | null {
  switch (n.type) {
    case 'recovered':
    case 'partner_recovered':
      return 'green';
    case 'critical':
    case 'low':
    case 'reminder':
    case 'partner_low':
      return n.level === 'CRITICAL' ? 'red' : n.level === 'LOW' ? 'yellow' : null;
    case 'forecast':
    case 'spike':
      return null;
  }
}

/** A notification's readable line with its leading word (LOW, STILL CRITICAL, ...) in its hue. */
export function paintNotification(
  line: string,
  n: Pick<Notification, 'type' | 'level'>,
  paint: Paint,
): string {
  const hue = hueOf(n);
  const head = /^(?:(?:STILL|PARTNER) )?[A-Z]+/.exec(line)?.[0];
  return hue && head ? `${paint(head, hue)}${line.slice(head.length)}` : line;
}
