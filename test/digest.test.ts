import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestId, type Message, planMessages } from '../functions/core/digest.ts';
import { describeNotification, severityOf, titleOf } from '../functions/core/display.ts';
import type { NotificationType } from '../functions/core/types.ts';
import { notification } from './support/notifications.ts';

/* Digest planning is pure: checked directly, and as properties over any mix of notifications. */

const TYPES: NotificationType[] = [
  'low',
  'critical',
  'recovered',
  'reminder',
  'forecast',
  'spike',
  'partner_low',
  'partner_recovered',
];
const RANK = { critical: 0, high: 1, warning: 2, info: 3 } as const;

describe('digest planning', () => {
  it('sends up to digestSize notifications singly, most severe first', () => {
    // Arrange
    const list = [notification(1, 'recovered'), notification(2, 'low'), notification(3, 'critical')];

    // Act
    const messages = planMessages(list, { digestSize: 3, maxDigestBytes: 200_000 });

    // Assert
    expect(messages.map((m) => [m.kind, m.eventType, m.id])).toEqual([
      ['single', 'critical', list[2]?.id],
      ['single', 'low', list[1]?.id],
      ['single', 'recovered', list[0]?.id],
    ]);
    const [critical] = messages;
    expect(critical?.subject).toBe('CRITICAL balance: MA_00000003 Customer 3');
    expect(critical?.headline).toBe(describeNotification(list[2] ?? notification(0)));
    expect(critical?.text).toContain('Level: OK -> CRITICAL');
  });

  it('keeps control and direction characters of a name out of the subject', () => {
    const [message] = planMessages([notification(4, 'low', 'Evil\u202e\u0007Name\n')], {
      digestSize: 10,
      maxDigestBytes: 200_000,
    });
    expect(message?.subject).toBe('Low balance: MA_00000004 Evil Name');
  });

  it('names a digest by exactly the notifications it carries, in any order', () => {
    expect(digestId(['a', 'b', 'c'])).toBe(digestId(['c', 'a', 'b']));
    expect(digestId(['a', 'b', 'c'])).not.toBe(digestId(['a', 'b']));
    expect(digestId(['ab', 'c'])).not.toBe(digestId(['a', 'bc']));
  });

  it('delivers every notification, criticals singly too, and keeps each digest part within budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...TYPES), { maxLength: 120 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 2_000, max: 40_000 }),
        (types, digestSize, maxDigestBytes) => {
          // Arrange
          const list = types.map((type, i) => notification(i, type));
          const measure = (m: Message) =>
            new TextEncoder().encode(m.text + JSON.stringify(m.document)).length;

          // Act
          const messages = planMessages(list, { digestSize, maxDigestBytes, measure });

          // Assert
          const carried = new Set(messages.flatMap((m) => m.ids));
          expect(carried).toEqual(new Set(list.map((n) => n.id)));
          const digests = messages.filter((m) => m.kind === 'digest');
          if (list.length <= digestSize) {
            expect(digests).toEqual([]);
            return;
          }
          // The digest parts split the whole list: each notification in exactly one part.
          const inParts = digests.flatMap((m) => m.ids);
          expect(inParts.length).toBe(list.length);
          for (const part of digests) {
            if (part.ids.length > 1) expect(measure(part)).toBeLessThanOrEqual(maxDigestBytes);
            const ranks = part.document.notifications.map((n) => RANK[severityOf(n)]);
            expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
          }
          const criticals = list.filter((n) => severityOf(n) === 'critical').map((n) => n.id);
          const singles = messages.filter((m) => m.kind === 'single').map((m) => m.id);
          expect(singles).toEqual(expect.arrayContaining(criticals));
          expect(singles.length).toBe(criticals.length);
        },
      ),
    );
  });
});

describe('wording', () => {
  it('has a title and a severity for every notification type', () => {
    const titles = TYPES.map((type) => titleOf(notification(1, type)));
    expect(new Set(titles).size).toBe(TYPES.length);
    expect(titleOf({ ...notification(1, 'reminder'), level: 'CRITICAL' })).toBe('Still critical');
    expect(severityOf({ type: 'partner_low', level: 'CRITICAL' })).toBe('critical');
    expect(severityOf({ type: 'partner_low', level: 'LOW' })).toBe('high');
  });
});
