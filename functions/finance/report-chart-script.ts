/**
 * Part of the page's script: one SVG chart per entry of the embedded data, drawn into its
 * figure's empty plot. The time axis runs from the first observation (or the window's start)
 * to now; the value axis always holds zero, the critical level and the low threshold, each
 * drawn as its own line; value labels sit in a left margin, pushed apart so none covers
 * another or a line. Labels come written from the data (textContent only, never markup):
 * this code only turns values into pixel positions. Plain ES2017, no network.
 */
export const CHART_SCRIPT = `
function drawCharts(charts) {
  var NS = 'http://www.w3.org/2000/svg';
  var W = 640, H = 200, L = 66, R = 10, T = 10, B = 26, GAP = 15;
  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, cls, anchor) {
    var node = el('text', { x: x, y: y, 'class': cls, 'text-anchor': anchor || 'start' }, parent);
    node.textContent = content;
    return node;
  }
  // Pixel positions only: the amounts shown as text come written from the data.
  function value(amount) { return parseFloat(amount); }
  function placeLabels(labels, top, bottom) {
    labels.sort(function (a, b) { return a.y - b.y; });
    labels.forEach(function (label, i) {
      label.y = Math.max(label.y, top, i > 0 ? labels[i - 1].y + GAP : top);
    });
    for (var i = labels.length - 1; i >= 0; i--) {
      labels[i].y = Math.min(labels[i].y, i < labels.length - 1 ? labels[i + 1].y - GAP : bottom);
    }
    return labels;
  }
  function draw(chart, host) {
    var values = chart.points.map(function (p) { return value(p.balance); });
    var low = value(chart.low), critical = value(chart.critical);
    var lo = Math.min(0, low, critical), hi = Math.max(0, low, critical);
    var min = Infinity, max = -Infinity;
    values.forEach(function (v) { if (v < min) min = v; if (v > max) max = v; });
    if (values.length > 0) { lo = Math.min(lo, min); hi = Math.max(hi, max); }
    var margin = (hi - lo) * 0.08 || 1;
    lo -= margin; hi += margin;
    var span = chart.end - chart.from || 1;
    function x(t) { return L + ((t - chart.from) / span) * (W - L - R); }
    function y(v) { return T + ((hi - v) / (hi - lo)) * (H - T - B); }
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, 'class': 'chart-svg', role: 'img' });
    el('title', {}, svg).textContent = 'Balance of ' + chart.label + ' over time';
    el('rect', { x: L, y: T, width: W - L - R, height: H - T - B, 'class': 'frame' }, svg);
    var lastTick = chart.ticks.length - 1;
    chart.ticks.forEach(function (tick, i) {
      var tx = x(tick.t);
      if (i > 0 && i < lastTick) el('line', { x1: tx, x2: tx, y1: T, y2: H - B, 'class': 'grid' }, svg);
      text(svg, tx, H - 8, tick.label, 'axis', i === 0 ? 'start' : i === lastTick ? 'end' : 'middle');
    });
    [[0, 'zero'], [critical, 'critical'], [low, 'low']].forEach(function (line) {
      var ly = y(line[0]).toFixed(1);
      el('line', { x1: L, x2: W - R, y1: ly, y2: ly, 'class': line[1] }, svg);
    });
    var labels = [
      { y: y(low), text: 'low ' + chart.axis.low, cls: 'axis low-label' },
      { y: y(critical), text: 'crit ' + chart.axis.critical, cls: 'axis critical-label' }
    ];
    if (critical !== 0) labels.push({ y: y(0), text: '0', cls: 'axis' });
    if (values.length > 0) {
      if (max === min) labels.push({ y: y(max), text: chart.axis.max, cls: 'axis' });
      else labels.push({ y: y(max), text: 'max ' + chart.axis.max, cls: 'axis' }, { y: y(min), text: 'min ' + chart.axis.min, cls: 'axis' });
    }
    placeLabels(labels, T + 4, H - B - 4).forEach(function (label) {
      text(svg, L - 6, (label.y + 4).toFixed(1), label.text, label.cls, 'end');
    });
    if (chart.points.length > 0) {
      var first = chart.points[0];
      if (x(chart.end) - x(first.t) < 1) {
        // One observation at the very end of the axis: a dot, as there is no stretch of time to draw.
        el('circle', { cx: x(first.t).toFixed(1), cy: y(values[0]).toFixed(1), r: 3, 'class': 'balance-dot' }, svg);
      } else {
        var d = '';
        chart.points.forEach(function (p, i) {
          var px = x(p.t).toFixed(1), py = y(values[i]).toFixed(1);
          d += i === 0 ? 'M' + px + ' ' + py : 'H' + px + 'V' + py;
        });
        d += 'H' + x(chart.end).toFixed(1);
        el('path', { d: d, 'class': 'balance' }, svg);
      }
      chart.points.forEach(function (p, i) {
        var px = x(p.t), py = y(values[i]);
        if (p.topUp) {
          var up = el('path', { d: 'M' + px.toFixed(1) + ' ' + (py - 9).toFixed(1) + 'l-5 8h10z', 'class': 'topup' }, svg);
          el('title', {}, up).textContent = 'top-up to ' + p.label;
        }
        if (p.crossing) {
          var mark = el('circle', { cx: px.toFixed(1), cy: py.toFixed(1), r: 5, 'class': 'crossing crossing-' + p.crossing }, svg);
          el('title', {}, mark).textContent = (p.crossing === 'down' ? 'fell below' : 'rose above') + ' the low threshold: ' + p.label;
        }
      });
    }
    host.appendChild(svg);
  }
  var drawn = 0;
  charts.forEach(function (chart, i) {
    var host = document.querySelector('[data-chart="' + i + '"] .plot');
    if (!host) return;
    draw(chart, host);
    drawn += 1;
  });
  return drawn;
}
`;
