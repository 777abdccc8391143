import { describe, expect, it } from 'vitest';
import { hueOf, painter, paintNotification } from '../functions/cli/colour.ts';
import type { Notification } from '../functions/core/types.ts';

/** Colour on a terminal only, never with NO_COLOR set; critical red, low yellow, recovered green. */

describe('colour', () => {
  it('paints only on a terminal, and not when NO_COLOR holds any value but the empty string', () => {
    // Act
    const cases = [
      painter(true, {})('x', 'red'),
      painter(true, { NO_COLOR: '' })('x', 'red'),
      painter(true, { NO_COLOR: '1' })('x', 'red'),
      painter(true, { NO_COLOR: 'false' })('x', 'red'),
      painter(false, {})('x', 'red'),
      painter(undefined, {})('x', 'red'),
    ];

    // Assert
    expect(cases).toEqual(['\x1b[31mx\x1b[39m', '\x1b[31mx\x1b[39m', 'x', 'x', 'x', 'x']);
  });

  it.each<[Notification['type'], Notification['level'], string | null]>([
    ['critical', 'CRITICAL', 'red'],
    ['low', 'LOW', 'yellow'],
    ['reminder', 'CRITICAL', 'red'],
    ['reminder', 'LOW', 'yellow'],
    ['partner_low', 'CRITICAL', 'red'],
    ['partner_low', 'LOW', 'yellow'],
    ['recovered', 'OK', 'green'],
    ['partner_recovered', 'OK', 'green'],
    ['forecast', 'OK', null],
    ['spike', 'LOW', null],
  ])('gives a %s notification at %s the hue %s', (type, level, hue) => {
    // Act & Assert
    expect(hueOf({ type, level })).toBe(hue);
  });

  it("paints a notification line's leading words and leaves the rest, names included, as they are", () => {
    // Arrange
    const paint = painter(true, {});

    // Act
    const lines = [
      paintNotification(
        'STILL CRITICAL Asha (MA_1): balance -3.00 INR',
        { type: 'reminder', level: 'CRITICAL' },
        paint,
      ),
      paintNotification('LOW Ünal (MA_2): balance 5.00 INR', { type: 'low', level: 'LOW' }, paint),
      paintNotification('PARTNER RECOVERED x', { type: 'partner_recovered', level: 'OK' }, paint),
      paintNotification('FORECAST Asha (MA_1): runway 20 h', { type: 'forecast', level: 'OK' }, paint),
    ];

    // Assert
    expect(lines).toEqual([
      '\x1b[31mSTILL CRITICAL\x1b[39m Asha (MA_1): balance -3.00 INR',
      '\x1b[33mLOW\x1b[39m Ünal (MA_2): balance 5.00 INR',
      '\x1b[32mPARTNER RECOVERED\x1b[39m x',
      'FORECAST Asha (MA_1): runway 20 h',
    ]);
  });
});
