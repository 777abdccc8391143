/**
 * The report page's only script: draws one SVG chart per entry of the embedded JSON data,
 * then writes `data-charts-drawn` on <body> so a headless browser can tell it finished.
 * Text reaches the page through textContent only, never as markup. Plain ES2017, no
 * network: the page's Content-Security-Policy allows this exact script and nothing else.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var W = 640, H = 190, L = 8, R = 8, T = 8, B = 24;
  var source = document.getElementById('report-data');
  var data = JSON.parse(source ? source.textContent : '{"charts":[]}');
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
  // Pixel positions only: the amounts shown as text come exact from the data.
  function value(amount) { return parseFloat(amount); }
  function day(ms) { return new Date(ms).toISOString().slice(0, 10); }
  function draw(chart, host) {
    var values = chart.points.map(function (p) { return value(p.balance); });
    var lo = Math.min(value(chart.low), value(chart.critical));
    var hi = value(chart.low);
    values.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; });
    var margin = (hi - lo) * 0.12 || Math.abs(hi) * 0.1 || 1;
    lo -= margin; hi += margin;
    var span = chart.end - chart.start || 1;
    function x(t) { return L + ((t - chart.start) / span) * (W - L - R); }
    function y(v) { return T + ((hi - v) / (hi - lo)) * (H - T - B); }
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, 'class': 'chart-svg', role: 'img' });
    var title = el('title', {}, svg);
    title.textContent = 'Balance of ' + chart.label + ' over the report window';
    el('rect', { x: L, y: T, width: W - L - R, height: H - T - B, 'class': 'frame' }, svg);
    text(svg, L + 4, T + 12, chart.hiLabel, 'axis');
    text(svg, L + 4, H - B - 4, chart.loLabel, 'axis');
    text(svg, L, H - 8, day(chart.start), 'axis');
    text(svg, W - R, H - 8, day(chart.end), 'axis', 'end');
    var ly = y(value(chart.low));
    el('line', { x1: L, x2: W - R, y1: ly, y2: ly, 'class': 'threshold' }, svg);
    text(svg, W - R - 4, ly - 4, 'low ' + chart.lowLabel, 'axis threshold-label', 'end');
    if (chart.points.length > 0) {
      var d = '';
      chart.points.forEach(function (p, i) {
        var px = x(p.t).toFixed(1), py = y(values[i]).toFixed(1);
        d += i === 0 ? 'M' + px + ' ' + py : 'H' + px + 'V' + py;
      });
      d += 'H' + x(chart.end).toFixed(1);
      el('path', { d: d, 'class': 'balance' }, svg);
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
  data.charts.forEach(function (chart, i) {
    var host = document.querySelector('[data-chart="' + i + '"] .plot');
    if (!host) return;
    draw(chart, host);
    drawn += 1;
  });
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
`;
