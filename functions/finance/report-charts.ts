import { displayName } from '../core/display.ts';
import { greaterThan, lessThan } from '../core/money.ts';
import { localDateTime } from './calendar.ts';
import { type CurrencyDecimals, compactAmount, formatFixed, timeLabel } from './report-format.ts';
import { escapeHtml, nameHtml } from './report-markup.ts';
import type { Chart } from './report-model.ts';

/**
 * The charts' figures (caption and an empty plot the script fills) and their data. Every
 * label is written here, exact where it is an amount a person reads (markers' tooltips,
 * captions) and compact where it only guides the eye (the value axis); the script only turns
 * values into pixel positions.
 */

export interface ChartData {
  label: string;
  /** The time axis: from the first observation (or the window's start) to now. */
  from: number;
  end: number;
  ticks: Array<{ t: number; label: string }>;
  low: string;
  critical: string;
  /** Compact labels for the value axis. */
  axis: { max: string; min: string; low: string; critical: string };
  points: Array<{
    t: number;
    balance: string;
    topUp?: boolean;
    crossing?: 'down' | 'up' | null;
    label?: string;
  }>;
}

/** A figure's caption says when the history is shorter than the window. */
function historyNote(chart: Chart, timezone: string): string {
  return chart.from > chart.start
    ? ` · <span class="since">observed since ${escapeHtml(localDateTime(new Date(chart.from).toISOString(), timezone))}</span>`
    : '';
}

export function chartFigures(charts: readonly Chart[], timezone: string, decimals: CurrencyDecimals): string {
  return charts
    .map((c, i) => {
      const low = formatFixed(c.low, decimals.of(c.currency));
      return (
        `<figure class="chart" data-chart="${i}" data-auth-id="${escapeHtml(c.authId)}" data-points="${c.points.length}">` +
        `<figcaption>${nameHtml(c.name, 60)} <span class="sub">${escapeHtml(c.authId)} · low ${escapeHtml(low)} ${escapeHtml(c.currency)} · ` +
        `${c.topUps} top-up(s), ${c.crossings} crossing(s)${c.thinned ? ' · thinned to fit' : ''}${historyNote(c, timezone)}</span></figcaption>` +
        `<div class="plot"></div><noscript>Charts need JavaScript; the table below has every account.</noscript></figure>`
      );
    })
    .join('\n');
}

export function chartData(chart: Chart, timezone: string, decimals: CurrencyDecimals): ChartData {
  let min = chart.points[0]?.balance ?? chart.low;
  let max = min;
  for (const p of chart.points) {
    if (lessThan(p.balance, min)) min = p.balance;
    if (greaterThan(p.balance, max)) max = p.balance;
  }
  const span = chart.end - chart.from;
  const places = decimals.of(chart.currency);
  return {
    label: `${displayName(chart.name, 60)} (${chart.authId})`,
    from: chart.from,
    end: chart.end,
    ticks: [chart.from, chart.from + span / 2, chart.end].map((t) => ({
      t,
      label: timeLabel(t, span, timezone),
    })),
    low: chart.low,
    critical: chart.critical,
    axis: {
      max: compactAmount(max),
      min: compactAmount(min),
      low: compactAmount(chart.low),
      critical: compactAmount(chart.critical),
    },
    points: chart.points.map((p) =>
      p.topUp || p.crossing
        ? {
            t: p.t,
            balance: p.balance,
            topUp: p.topUp,
            crossing: p.crossing,
            label: `${formatFixed(p.balance, places)} ${chart.currency}`,
          }
        : { t: p.t, balance: p.balance },
    ),
  };
}
