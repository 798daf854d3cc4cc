// Charts and interactions of the dashboard (scripts/dashboard.py inlines this file into the page).
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('dashboard-data').textContent);
  const CUR = D.currency;
  const NS = 'http://www.w3.org/2000/svg';
  const COLORS = { new: '#2e7d32', expansion: '#7cb342', reactivation: '#00897b', contraction: '#fb8c00',
                   churned: '#e53935', fx: '#8e8e8e', net: '#1f2933', start: '#607d8b', end: '#3949ab' };
  const PALETTE = ['#3949ab', '#00897b', '#f4511e', '#8e24aa', '#fdd835', '#6d4c41', '#039be5', '#c0ca33'];
  const tip = document.getElementById('tip');

  // ---- formatting --------------------------------------------------------
  const MONTHS = ['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'];
  function monthLabel(iso, long) { const y = iso.slice(0, 4), m = +iso.slice(5, 7); return MONTHS[m - 1] + ' ' + (long ? y : y.slice(2)); }
  function grouped(v, digits) { return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }); }
  function money(v) { return v == null ? 'n/a' : CUR + ' ' + grouped(v, 2); }
  function moneyShort(v) {
    if (v == null) return 'n/a';
    const a = Math.abs(v), s = v < 0 ? '-' : '';
    if (a >= 1e6) return s + (a / 1e6).toFixed(a >= 1e7 ? 1 : 2) + 'M';
    if (a >= 1e3) return s + (a / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
    return s + a.toFixed(0);
  }
  // Axis ticks of money share one unit and one number of decimals (0, 500k, 1.0M, 1.5M; never 1.0k next to 1.00M).
  function moneyTicks(ticks) {
    const top = Math.max(...ticks.map(Math.abs)), unit = top >= 1e6 ? 1e6 : top >= 1e3 ? 1e3 : 1, suffix = unit === 1e6 ? 'M' : unit === 1e3 ? 'k' : '';
    const sorted = [...ticks].sort((a, b) => a - b);
    let step = Infinity;
    for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i] - sorted[i - 1]);
    let digits = 0;
    while (digits < 2 && isFinite(step) && Math.abs(step / unit * Math.pow(10, digits) - Math.round(step / unit * Math.pow(10, digits))) > 1e-9) digits++;
    return v => v === 0 ? '0' : (v < 0 ? '-' : '') + (Math.abs(v) / unit).toFixed(digits) + suffix;
  }
  function pct(v, d) { return v == null ? 'n/a' : (v * 100).toFixed(d == null ? 1 : d) + '%'; }
  function num(v, d) { return v == null ? 'n/a' : grouped(v, d == null ? 0 : d); }

  // ---- tiny SVG toolkit --------------------------------------------------
  function el(tag, attrs, parent, text) {
    const n = document.createElementNS(NS, tag);
    for (const k in attrs) if (attrs[k] != null) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    if (parent) parent.appendChild(n);
    return n;
  }
  function html(tag, attrs, parent, text) {
    const n = document.createElement(tag);
    for (const k in attrs) if (attrs[k] != null) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    if (parent) parent.appendChild(n);
    return n;
  }
  // Shortens an SVG text with an ellipsis until it fits `width` (labels never run out of their band).
  function fitText(node, width) {
    const full = node.textContent;
    if (!node.getComputedTextLength || node.getComputedTextLength() <= width) return node;
    let text = full;
    while (text.length > 1 && node.getComputedTextLength() > width) { text = text.slice(0, -1); node.textContent = text.trimEnd() + '…'; }
    const title = document.createElementNS(NS, 'title'); title.textContent = full; node.appendChild(title);
    return node;
  }
  function niceStep(span, count) {
    const raw = span / Math.max(1, count), mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * mag;
  }
  function niceDomain(lo, hi, count) {
    if (!(isFinite(lo) && isFinite(hi))) { lo = 0; hi = 1; }
    if (lo === hi) { hi = lo + (Math.abs(lo) || 1); }
    const step = niceStep(hi - lo, count || 5);
    const a = Math.floor(lo / step) * step, b = Math.ceil(hi / step) * step, ticks = [];
    for (let t = a; t <= b + step / 2; t += step) ticks.push(+t.toFixed(10));
    return { lo: a, hi: b, ticks: ticks };
  }
  function linear(d0, d1, r0, r1) { const k = (r1 - r0) / ((d1 - d0) || 1); return v => r0 + (v - d0) * k; }
  function finite(values) { return values.filter(v => v != null && isFinite(v)); }

  // A plot area: margins, y axis with grid, x labels; returns scales and groups.
  function frame(host, opts) {
    const W = opts.width || Math.max(320, Math.round(host.clientWidth) || 640), H = opts.height || 280;
    const m = Object.assign({ top: 12, right: 16, bottom: 28, left: 64 }, opts.margin || {});
    const svg = el('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': opts.label || '' }, host);
    const y = niceDomain(opts.yMin, opts.yMax, opts.yTicks || 5);
    const ys = linear(y.lo, y.hi, H - m.bottom, m.top);
    const g = el('g', {}, svg), grid = el('g', { class: 'grid' }, g);
    const yFormat = opts.yFormat === moneyShort ? moneyTicks(y.ticks) : opts.yFormat;
    for (const t of y.ticks) {
      el('line', { x1: m.left, x2: W - m.right, y1: ys(t), y2: ys(t), class: t === 0 ? 'zero' : null }, grid);
      el('text', { x: m.left - 6, y: ys(t) + 4, 'text-anchor': 'end' }, g, yFormat(t));
    }
    if (opts.yTitle) el('text', { x: 12, y: m.top + (H - m.top - m.bottom) / 2, transform: 'rotate(-90 12 ' + (m.top + (H - m.top - m.bottom) / 2) + ')', 'text-anchor': 'middle' }, g, opts.yTitle);
    return { svg: svg, g: g, W: W, H: H, m: m, ys: ys, y: y };
  }
  function bandX(f, n, pad) {
    const inner = f.W - f.m.left - f.m.right, bw = inner / Math.max(1, n);
    return { bw: bw, x: i => f.m.left + i * bw + bw / 2, width: bw * (1 - (pad == null ? 0.25 : pad)) };
  }
  function xLabels(f, labels, xAt, maxLabels) {
    const every = Math.max(1, Math.ceil(labels.length / (maxLabels || 12)));
    labels.forEach((lab, i) => {
      if ((labels.length - 1 - i) % every === 0) el('text', { x: xAt(i), y: f.H - f.m.bottom + 16, 'text-anchor': 'middle' }, f.g, lab);
    });
  }
  function legend(host, items) {
    const box = html('div', { class: 'legend' }, host);
    for (const it of items) {
      const s = html('span', {}, box);
      const i = html('i', { class: it.dash ? 'dash' : null }, s);
      if (it.dash) i.style.borderColor = it.color; else i.style.background = it.color;
      s.appendChild(document.createTextNode(it.name));
    }
    return box;
  }
  function showTip(evt, rows) {
    tip.innerHTML = '';
    rows.forEach((r, k) => {
      const line = document.createElement('div');
      if (r.color) { const sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = r.color; line.appendChild(sw); }
      if (k === 0 && !r.color) { const b = document.createElement('b'); b.textContent = r.text; line.appendChild(b); }
      else line.appendChild(document.createTextNode(r.text));
      tip.appendChild(line);
    });
    const x = Math.min(evt.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(evt.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = x + 'px'; tip.style.top = y + 'px'; tip.style.opacity = 1;
  }
  function hideTip() { tip.style.opacity = 0; }
  // Hover over a band of x positions: index -> tooltip rows.
  function hover(f, n, xAt, rowsFor) {
    const guide = el('line', { y1: f.m.top, y2: f.H - f.m.bottom, stroke: '#9aa5b1', 'stroke-dasharray': '3 3', opacity: 0 }, f.g);
    const rect = el('rect', { x: f.m.left, y: f.m.top, width: f.W - f.m.left - f.m.right, height: f.H - f.m.top - f.m.bottom, fill: 'transparent' }, f.g);
    rect.addEventListener('mousemove', evt => {
      const box = f.svg.getBoundingClientRect(), vx = (evt.clientX - box.left) * f.W / box.width;
      let best = 0, dist = Infinity;
      for (let i = 0; i < n; i++) { const d = Math.abs(xAt(i) - vx); if (d < dist) { dist = d; best = i; } }
      guide.setAttribute('x1', xAt(best)); guide.setAttribute('x2', xAt(best)); guide.setAttribute('opacity', 1);
      showTip(evt, rowsFor(best));
    });
    rect.addEventListener('mouseleave', () => { guide.setAttribute('opacity', 0); hideTip(); });
  }
  function path(points) {
    let d = '', pen = false;
    for (const p of points) {
      if (p[1] == null || !isFinite(p[1])) { pen = false; continue; }
      d += (pen ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1); pen = true;
    }
    return d;
  }
  function lineChart(host, o) {
    // o: {labels, series:[{name, values, color, dash, area, width}], yFormat, yMin, yMax, tipFormat}
    const all = finite([].concat.apply([], o.series.map(s => s.values)));
    const f = frame(host, { yMin: o.yMin != null ? Math.min(o.yMin, ...all) : Math.min(...all), yMax: o.yMax != null ? Math.max(o.yMax, ...all) : Math.max(...all),
                            yFormat: o.yFormat, height: o.height, margin: o.margin, label: o.label, yTitle: o.yTitle });
    const xs = o.xValues ? linear(Math.min(...o.xValues), Math.max(...o.xValues), f.m.left + 8, f.W - f.m.right - 8)
                         : linear(0, o.labels.length - 1, f.m.left + 8, f.W - f.m.right - 8);
    const xAt = i => o.xValues ? xs(o.xValues[i]) : xs(i);
    for (const s of o.series) {
      const pts = s.values.map((v, i) => [xAt(i), v == null ? null : f.ys(v)]);
      el('path', { d: path(pts), fill: 'none', stroke: s.color, 'stroke-width': s.width || 2, 'stroke-dasharray': s.dash ? '5 4' : null,
                   'stroke-linejoin': 'round', 'data-series': s.name }, f.g);
      if (s.dots) pts.forEach(p => { if (p[1] != null) el('circle', { cx: p[0], cy: p[1], r: 2.6, fill: s.color }, f.g); });
    }
    if (o.xValues) {
      const lo = Math.min(...o.xValues), hi = Math.max(...o.xValues), step = Math.max(1, niceStep(hi - lo, 8));
      for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) el('text', { x: xs(t), y: f.H - f.m.bottom + 16, 'text-anchor': 'middle' }, f.g, String(t));
      if (o.xTitle) el('text', { x: f.W - f.m.right, y: f.H - 2, 'text-anchor': 'end' }, f.g, o.xTitle);
    } else xLabels(f, o.labels, xAt, o.maxLabels);
    legend(host, o.series.filter(s => !s.noLegend).map(s => ({ name: s.name, color: s.color, dash: s.dash })));
    hover(f, o.labels.length, xAt, i => [{ text: o.tipTitle ? o.tipTitle(i) : o.labels[i] }].concat(
      o.series.filter(s => s.values[i] != null).map(s => ({ color: s.color, text: s.name + ': ' + (o.tipFormat || o.yFormat)(s.values[i]) }))));
    return f;
  }

  // ---- the charts --------------------------------------------------------
  const charts = {};

  charts.mrr_trend = function (host, d) {
    const n = d.months.length, labels = d.months.map(m => monthLabel(m));
    const stacks = d.segments.map((s, k) => ({ name: s.name, color: PALETTE[k % PALETTE.length], values: s.values }));
    const f = frame(host, { yMin: 0, yMax: Math.max(...finite(d.total)), yFormat: moneyShort, height: 260, label: 'MRR by month' });
    const xs = linear(0, n - 1, f.m.left + 8, f.W - f.m.right - 8);
    const base = new Array(n).fill(0);
    for (const s of stacks) {
      const top = s.values.map((v, i) => base[i] + (v || 0));
      const upper = top.map((v, i) => [xs(i), f.ys(v)]), lower = base.map((v, i) => [xs(i), f.ys(v)]).reverse();
      el('path', { d: path(upper) + 'L' + path(lower).slice(1) + 'Z', fill: s.color, 'fill-opacity': 0.78, stroke: 'none', 'data-series': s.name }, f.g);
      for (let i = 0; i < n; i++) base[i] = top[i];
    }
    el('path', { d: path(d.total.map((v, i) => [xs(i), f.ys(v)])), fill: 'none', stroke: '#1f2933', 'stroke-width': 2, 'data-series': 'total' }, f.g);
    const last = d.total[n - 1];
    el('text', { x: xs(n - 1) - 4, y: f.ys(last) - 8, 'text-anchor': 'end', class: 'label' }, f.g, money(last));
    xLabels(f, labels, xs, 18);
    legend(host, stacks.map(s => ({ name: s.name, color: s.color })).concat([{ name: 'total MRR', color: '#1f2933' }]));
    hover(f, n, xs, i => [{ text: monthLabel(d.months[i], true) }, { color: '#1f2933', text: 'MRR ' + money(d.total[i]) },
      { text: 'ARR ' + money(d.total[i] * 12) }, { text: 'paying customers ' + num(d.customers[i]) }]
      .concat(stacks.slice().reverse().map(s => ({ color: s.color, text: s.name + ': ' + money(s.values[i]) }))));
  };

  charts.mrr_bridge = function (host, d) {
    const steps = [
      { name: 'Starting MRR', value: d.starting_mrr, kind: 'total', color: COLORS.start },
      { name: 'New', value: d.new_mrr, kind: 'up', color: COLORS.new },
      { name: 'Expansion', value: d.expansion_mrr, kind: 'up', color: COLORS.expansion },
      { name: 'Reactivation', value: d.reactivation_mrr, kind: 'up', color: COLORS.reactivation },
      { name: 'Contraction', value: d.contraction_mrr, kind: 'down', color: COLORS.contraction },
      { name: 'Churned', value: d.churned_mrr, kind: 'down', color: COLORS.churned },
      // Exchange-rate effects are not movements: their own step.
      { name: 'FX impact', value: Math.abs(d.fx_impact_mrr || 0), kind: (d.fx_impact_mrr || 0) < 0 ? 'down' : 'up', color: COLORS.fx },
      { name: 'Ending MRR', value: d.ending_mrr, kind: 'total', color: COLORS.end },
    ];
    let level = 0; const bars = [];
    for (const s of steps) {
      if (s.kind === 'total') { bars.push([0, s.value]); level = s.value; }
      else if (s.kind === 'up') { bars.push([level, level + s.value]); level += s.value; }
      else { bars.push([level - s.value, level]); level -= s.value; }
    }
    const lo = Math.min(...bars.map(b => b[0])), hi = Math.max(...bars.map(b => b[1]));
    // Zoom on the moving part so that movements stay visible next to the totals.
    const span = hi - Math.min(...bars.slice(1, -1).map(b => b[0]));
    const floor = Math.max(0, Math.min(...bars.slice(1, -1).map(b => b[0])) - span * 1.2);
    const f = frame(host, { yMin: floor > 0 ? floor : lo, yMax: hi, yFormat: moneyShort, height: 280, margin: { bottom: 26, top: 18 }, label: 'MRR bridge' });
    const b = bandX(f, steps.length, 0.35);
    steps.forEach((s, i) => {
      // Totals are cut at the bottom of the (zoomed) axis.
      const y0 = f.ys(Math.max(bars[i][0], f.y.lo)), y1 = f.ys(bars[i][1]);
      const r = el('rect', { x: b.x(i) - b.width / 2, y: y1, width: b.width, height: Math.max(1, y0 - y1), fill: s.color, rx: 2,
                             'data-step': s.name, 'data-value': s.value }, f.g);
      const sign = s.kind === 'up' ? '+' : s.kind === 'down' ? '-' : '';
      el('text', { x: b.x(i), y: y1 - 5, 'text-anchor': 'middle', class: 'label' }, f.g, sign + moneyShort(s.value));
      el('text', { x: b.x(i), y: f.H - f.m.bottom + 15, 'text-anchor': 'middle' }, f.g, s.name);
      if (i < steps.length - 1) {
        const yl = f.ys(s.kind === 'down' ? bars[i][0] : bars[i][1]);
        el('line', { x1: b.x(i) + b.width / 2, x2: b.x(i + 1) - b.width / 2, y1: yl, y2: yl, stroke: '#9aa5b1', 'stroke-dasharray': '2 2' }, f.g);
      }
      r.addEventListener('mousemove', evt => showTip(evt, [{ text: s.name }, { color: s.color, text: sign + money(s.value) }]));
      r.addEventListener('mouseleave', hideTip);
    });
    const note = html('div', { class: 'note' }, host);
    note.textContent = monthLabel(d.month, true) + ': net new MRR ' + money(d.net_new_mrr) + ' (' + pct(d.starting_mrr ? d.net_new_mrr / d.starting_mrr : null) +
      ' of starting MRR)' + (f.y.lo > 0 ? ' · the axis starts at ' + money(f.y.lo) + ' to make the movements visible' : '') + '.';
  };

  charts.mrr_movements = function (host, d) {
    const n = d.month.length, labels = d.month.map(m => monthLabel(m));
    const ups = [['new_mrr', 'New', COLORS.new], ['expansion_mrr', 'Expansion', COLORS.expansion], ['reactivation_mrr', 'Reactivation', COLORS.reactivation]];
    const downs = [['contraction_mrr', 'Contraction', COLORS.contraction], ['churned_mrr', 'Churned', COLORS.churned]];
    const upTot = d.month.map((_, i) => ups.reduce((a, u) => a + (d[u[0]][i] || 0), 0));
    const downTot = d.month.map((_, i) => downs.reduce((a, u) => a + (d[u[0]][i] || 0), 0));
    const f = frame(host, { yMin: -Math.max(...downTot), yMax: Math.max(...upTot), yFormat: moneyShort, height: 280, label: 'MRR movements' });
    const b = bandX(f, n, 0.3);
    for (let i = 0; i < n; i++) {
      let top = 0;
      for (const u of ups) { const v = d[u[0]][i] || 0; el('rect', { x: b.x(i) - b.width / 2, y: f.ys(top + v), width: b.width, height: Math.max(0, f.ys(top) - f.ys(top + v)), fill: u[2] }, f.g); top += v; }
      let bottom = 0;
      for (const u of downs) { const v = d[u[0]][i] || 0; el('rect', { x: b.x(i) - b.width / 2, y: f.ys(bottom), width: b.width, height: Math.max(0, f.ys(bottom - v) - f.ys(bottom)), fill: u[2] }, f.g); bottom -= v; }
    }
    el('path', { d: path(d.net_new_mrr.map((v, i) => [b.x(i), f.ys(v)])), fill: 'none', stroke: COLORS.net, 'stroke-width': 2, 'data-series': 'net new MRR' }, f.g);
    d.net_new_mrr.forEach((v, i) => el('circle', { cx: b.x(i), cy: f.ys(v), r: 2.4, fill: COLORS.net }, f.g));
    xLabels(f, labels, b.x, 12);
    legend(host, ups.concat(downs).map(u => ({ name: u[1], color: u[2] })).concat([{ name: 'Net new MRR', color: COLORS.net }]));
    hover(f, n, b.x, i => [{ text: monthLabel(d.month[i], true) }]
      .concat(ups.map(u => ({ color: u[2], text: u[1] + ': +' + money(d[u[0]][i]) })))
      .concat(downs.map(u => ({ color: u[2], text: u[1] + ': -' + money(d[u[0]][i]) })))
      .concat([{ color: COLORS.net, text: 'Net new: ' + money(d.net_new_mrr[i]) }]));
  };

  charts.churn_rates = function (host, d) {
    const labels = d.month.map(m => monthLabel(m));
    // The first month has nothing to churn from: its rates are null, not zero.
    lineChart(host, {
      labels: labels, yFormat: v => pct(v, 1), height: 280, label: 'Churn rates',
      tipTitle: i => monthLabel(d.month[i], true),
      series: [
        { name: 'Logo churn rate', values: d.logo_churn_rate, color: '#e53935', dots: true },
        { name: 'Gross MRR churn rate', values: d.gross_mrr_churn_rate, color: '#fb8c00' },
        { name: 'Net MRR churn rate (negative = net expansion)', values: d.net_mrr_churn_rate, color: '#3949ab', dash: true },
      ],
      yMin: 0,
    });
    const last = d.month.length - 1;
    const note = html('div', { class: 'note' }, host);
    if (d.churned_customers) note.textContent = monthLabel(d.month[last], true) + ': ' + num(d.churned_customers[last]) + ' customers lost (' +
      num(d.voluntary_churned_customers[last]) + ' voluntary, ' + num(d.involuntary_churned_customers[last]) + ' involuntary / failed payments)';
  };

  charts.at_risk = function (host, d) {
    const tierColor = { high: '#c62828', medium: '#ef6c00' };
    const split = html('div', { class: 'split' }, host), left = html('div', {}, split), right = html('div', {}, split);
    // MRR at risk per segment, stacked by tier (only medium and high are at risk).
    const segs = d.segments, rows = {};
    d.by_segment_tier.forEach(r => { rows[r.segment + '|' + r.risk_tier] = r; });
    const f = frame(left, { yMin: 0, yMax: Math.max(1, ...segs.map(s => s.mrr_at_risk)), yFormat: moneyShort, height: 230, margin: { bottom: 44, top: 22 }, label: 'MRR at risk by segment' });
    const b = bandX(f, segs.length, 0.45);
    segs.forEach((s, i) => {
      let base = 0;
      ['high', 'medium'].forEach(t => {
        const v = (rows[s.segment + '|' + t] || {}).mrr_at_risk || 0, n = (rows[s.segment + '|' + t] || {}).customers || 0;
        const r = el('rect', { x: b.x(i) - b.width / 2, y: f.ys(base + v), width: b.width, height: Math.max(0, f.ys(base) - f.ys(base + v)), fill: tierColor[t], 'data-tier': t, 'data-value': v }, f.g);
        r.addEventListener('mousemove', evt => showTip(evt, [{ text: s.segment + ' · tier ' + t }, { color: tierColor[t], text: money(v) + ' MRR, ' + n + ' customers' }]));
        r.addEventListener('mouseleave', hideTip);
        base += v;
      });
      fitText(el('text', { x: b.x(i), y: f.ys(base) - 5, 'text-anchor': 'middle', class: 'label' }, f.g, moneyShort(s.mrr_at_risk) + ' (' + pct(s.mrr ? s.mrr_at_risk / s.mrr : null, 1) + ' of MRR)'), b.bw - 4);
      fitText(el('text', { x: b.x(i), y: f.H - f.m.bottom + 15, 'text-anchor': 'middle', class: 'label' }, f.g, s.segment), b.bw - 4);
      fitText(el('text', { x: b.x(i), y: f.H - f.m.bottom + 29, 'text-anchor': 'middle' }, f.g, s.at_risk_customers + ' of ' + s.customers + ' customers'), b.bw - 4);
    });
    legend(left, [{ name: 'high risk', color: tierColor.high }, { name: 'medium risk', color: tierColor.medium }]);
    const tiers = {}; d.tiers.forEach(t => { tiers[t.risk_tier] = t; });
    html('div', { class: 'note' }, left, 'Snapshot ' + d.snapshot_date + ': ' + num(d.at_risk_customers) + ' at-risk customers paying ' + money(d.mrr_at_risk) +
      ' a month. All paying customers by tier: ' + ['high', 'medium', 'low', 'none'].filter(t => tiers[t]).map(t => t + ' ' + num(tiers[t].customers)).join(', ') + '.');
    if (d.backtest) html('div', { class: 'note' }, left, 'Backtest of the flag (snapshot ' + d.backtest.snapshot_date + ', churn within ' + d.backtest.horizon_days +
      ' days): precision ' + pct(d.backtest.precision, 0) + ', recall ' + pct(d.backtest.recall, 0) + ', lift ' + (d.backtest.lift == null ? 'n/a' : d.backtest.lift.toFixed(1) + 'x') +
      ' over the base churn rate of ' + pct(d.backtest.base_churn_rate, 1) + '.');
    const table = html('table', { class: 'list', 'data-rows': d.top.length }, right);
    const head = html('tr', {}, html('thead', {}, table));
    [['Customer', ''], ['Segment', ''], ['Tier', ''], ['Score', 'num'], ['MRR at risk', 'num'], ['Reasons', '']].forEach(c => html('th', { class: c[1] || null }, head, c[0]));
    const body = html('tbody', {}, table);
    for (const r of d.top) {
      const tr = html('tr', { 'data-customer': r.customer_id }, body);
      html('td', {}, tr, r.customer_id); html('td', {}, tr, r.segment);
      html('span', { class: 'pill ' + r.risk_tier }, html('td', {}, tr), r.risk_tier);
      html('td', { class: 'num' }, tr, String(r.risk_score)); html('td', { class: 'num' }, tr, money(r.mrr_at_risk)); html('td', {}, tr, r.reasons || '');
    }
    html('div', { class: 'note' }, right, 'The ' + d.top.length + ' largest of ' + num(d.at_risk_customers) + ' at-risk customers by MRR at risk' +
      (d.at_risk_customers > d.top.length ? '; the full list is marts.hidden_churn_risk (is_at_risk, latest snapshot_date).' : '.'));
  };

  charts.cohort_heatmap = function (host, d) {
    const cohorts = [...new Set(d.cells.map(c => c.cohort_month))].sort();
    const periods = [...new Set(d.cells.map(c => c.period))].sort((a, b) => a - b);
    const cell = {}; d.cells.forEach(c => { cell[c.cohort_month + '|' + c.period] = c; });
    const controls = html('div', { class: 'controls' }, host);
    const modes = [['logo_retention_rate', 'Logo retention (customers paying)'], ['survival_rate', 'Survival (never lapsed)'],
                   ['revenue_retention_rate', 'Revenue retention (MRR)']].filter(m => d.cells.some(c => c[m[0]] != null));
    const holder = html('div', {}, host);
    // The colour scale spans the observed values (up to 100%, or above for revenue), so differences show.
    function bounds(mode) {
      const vals = finite(d.cells.map(c => c[mode]));
      const lo = Math.min(0.9, ...vals), hi = Math.max(1, ...vals);
      return [lo, hi];
    }
    function shade(v, mode) { const b = bounds(mode); return Math.max(0, Math.min(1, (v - b[0]) / ((b[1] - b[0]) || 1))); }
    function color(v, mode) {
      if (v == null) return '#f5f7fa';
      const t = shade(v, mode);
      const lo = [255, 243, 224], mid = [66, 165, 245], hi = [13, 71, 161];
      const a = t < 0.5 ? lo : mid, b = t < 0.5 ? mid : hi, k = t < 0.5 ? t / 0.5 : (t - 0.5) / 0.5;
      return 'rgb(' + a.map((x, j) => Math.round(x + (b[j] - x) * k)).join(',') + ')';
    }
    function draw(mode) {
      holder.innerHTML = '';
      const avail = Math.max(480, Math.round(holder.clientWidth) || 1180);
      const left = 130, top = 22, cw = Math.max(14, Math.min(48, (avail - left - 10) / periods.length)), ch = cw >= 26 ? 18 : 14;
      const W = Math.max(avail, left + periods.length * cw + 10), H = top + cohorts.length * ch + 24;
      const svg = el('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Cohort retention heatmap', 'data-mode': mode }, holder);
      periods.forEach((p, j) => el('text', { x: left + j * cw + cw / 2, y: top - 8, 'text-anchor': 'middle' }, svg, String(p)));
      const b = bounds(mode), scaleX = W - 250;
      [0, 0.25, 0.5, 0.75, 1].forEach((t, k) => el('rect', { x: scaleX + 40 + k * 36, y: H - 14, width: 36, height: 10, fill: color(b[0] + t * (b[1] - b[0]), mode) }, svg));
      el('text', { x: scaleX + 36, y: H - 5, 'text-anchor': 'end' }, svg, pct(b[0], 0));
      el('text', { x: scaleX + 40 + 5 * 36 + 4, y: H - 5 }, svg, pct(b[1], 0));
      el('text', { x: 4, y: top - 8 }, svg, 'cohort · customers');
      cohorts.forEach((c, i) => {
        const first = cell[c + '|' + periods[0]];
        el('text', { x: 4, y: top + i * ch + ch - 4 }, svg, monthLabel(c, true) + ' · ' + (first ? first.cohort_customers : ''));
        periods.forEach((p, j) => {
          const v = cell[c + '|' + p]; if (!v) return;
          const val = v[mode];
          const r = el('rect', { x: left + j * cw, y: top + i * ch, width: cw - 1, height: ch - 1, fill: color(val, mode) }, svg);
          if (cw >= 26 && val != null) el('text', { x: left + j * cw + cw / 2, y: top + i * ch + ch - 4, 'text-anchor': 'middle',
            style: 'font-size:9px;fill:' + (shade(val, mode) > 0.55 ? '#fff' : '#1f2933') }, svg, (val * 100).toFixed(0));
          r.addEventListener('mousemove', evt => showTip(evt, [{ text: monthLabel(c, true) + ' cohort, month ' + p },
            { text: 'logo retention ' + pct(v.logo_retention_rate) + ' (' + num(v.active_customers) + ' of ' + num(v.cohort_customers) + ')' },
            { text: 'survival ' + pct(v.survival_rate) + (v.surviving_customers != null ? ' (' + num(v.surviving_customers) + ')' : '') },
            { text: 'revenue retention ' + pct(v.revenue_retention_rate) + ' (' + money(v.mrr) + ')' }]));
          r.addEventListener('mouseleave', hideTip);
        });
      });
    }
    modes.forEach((mo, k) => {
      const btn = html('button', { type: 'button', class: k === 0 ? 'on' : null }, controls, mo[1]);
      btn.addEventListener('click', () => { [...controls.children].forEach(x => x.classList.remove('on')); btn.classList.add('on'); draw(mo[0]); });
    });
    draw(modes[0][0]);
    html('div', { class: 'note' }, host, 'Rows: signup cohort (first month with MRR) and its size; columns: months since (0 = first month); cells: % of the cohort (' +
      (d.segment === 'all' ? 'all segments' : d.segment) + ') — darker is better. Revenue retention can exceed 100% with expansion.');
  };

  charts.sbg_projection = function (host, d) {
    const groups = d.groups;
    const periods = [...new Set([].concat.apply([], groups.map(g => g.period)))].sort((a, b) => a - b);
    const series = [];
    groups.forEach((g, k) => {
      const color = g.segment === 'all' ? '#1f2933' : PALETTE[(k - 1 + PALETTE.length) % PALETTE.length];
      const at = {}; g.period.forEach((p, i) => { at[p] = i; });
      // The fitted curve is solid where observed, dashed where it is a projection (they meet at the last observed period).
      const observedEnd = Math.max(0, ...g.period.filter((p, i) => !g.projection[i]));
      const width = g.segment === 'all' ? 2.5 : 1.5;
      series.push({ name: g.segment + ' actual', color: color, values: periods.map(p => at[p] == null ? null : g.actual[at[p]]), dots: true, width: 0.01, noLegend: true });
      series.push({ name: g.segment, color: color, width: width, values: periods.map(p => at[p] == null || p > observedEnd ? null : g.fitted[at[p]]) });
      series.push({ name: g.segment + ' projected', color: color, dash: true, noLegend: true, width: width,
                    values: periods.map(p => at[p] == null || p < observedEnd ? null : g.fitted[at[p]]) });
    });
    lineChart(host, { labels: periods.map(String), xValues: periods, series: series, yFormat: v => pct(v, 0), yMin: 0, yMax: 1, height: 290,
                      tipTitle: i => 'period ' + periods[i] + ' (months since the cohort month)', tipFormat: v => pct(v, 1), label: 'sBG projection',
                      xTitle: 'months since the cohort month' });
    html('div', { class: 'note' }, host, 'Dots: observed survival (pooled cohorts); solid: sBG fit; dashed: projection.');
    // What the fit means for a new customer: its expected lifetime and the share still paying after a year.
    const table = html('table', { class: 'list', id: 'sbg-lifetimes' }, host);
    const head = html('tr', {}, html('thead', {}, table));
    [['Segment', ''], ['Expected lifetime', 'num'], ['Still paying after 12 months', 'num']].forEach(c => html('th', { class: c[1] || null }, head, c[0]));
    const body = html('tbody', {}, table);
    groups.forEach(g => {
      const tr = html('tr', { 'data-segment': g.segment }, body);
      html('td', {}, tr, g.segment === 'all' ? 'all segments' : g.segment);
      html('td', { class: 'num', 'data-value': g.expected_lifetime }, tr,
           g.expected_lifetime == null ? 'no finite mean' : num(g.expected_lifetime, 0) + ' months');
      html('td', { class: 'num' }, tr, pct(g.survival_12, 0));
    });
  };

  charts.usage_before_churn = function (host, d) {
    const measures = [['avg_logins', 'Logins per week', v => num(v, 1)], ['avg_session_minutes', 'Session minutes per week', v => num(v, 0)],
                      ['avg_valuable_actions', 'Valuable actions per week', v => num(v, 1)], ['share_active', 'Share of customers active', v => pct(v, 0)]];
    const colors = { churned: '#e53935', retained: '#3949ab', new: '#00897b' };
    const names = Object.keys(d.cohorts).sort((a, b) => (a === 'churned' ? -1 : b === 'churned' ? 1 : a.localeCompare(b)));
    const weeks = [...new Set([].concat.apply([], names.map(n => d.cohorts[n].relative_week)))].sort((a, b) => a - b);
    const controls = html('div', { class: 'controls' }, host), holder = html('div', {}, host);
    function draw(mi) {
      holder.innerHTML = '';
      const mz = measures[mi];
      lineChart(holder, {
        labels: weeks.map(w => String(w)), xValues: weeks, height: 260, yMin: 0, yFormat: mz[2], label: 'Usage before churn', maxLabels: 14,
        tipTitle: i => 'week ' + weeks[i] + ' before the reference day',
        series: names.map(n => {
          const c = d.cohorts[n], at = {}; c.relative_week.forEach((w, i) => { at[w] = i; });
          return { name: n + (n === 'churned' ? ' (weeks before the MRR stopped)' : ''), color: colors[n] || '#607d8b', dots: n === 'churned',
                   values: weeks.map(w => at[w] == null ? null : c[mz[0]][at[w]]) };
        }),
      });
      html('div', { class: 'note' }, holder, mz[1] + ' per customer; x: weeks before the reference day (-1 = the last 7 days).');
    }
    measures.forEach((mo, k) => {
      const btn = html('button', { type: 'button', class: k === 0 ? 'on' : null }, controls, mo[1]);
      btn.addEventListener('click', () => { [...controls.children].forEach(x => x.classList.remove('on')); btn.classList.add('on'); draw(k); });
    });
    draw(0);
  };

  charts.mrr_forecast = function (host, d) {
    // The last 12 months of MRR, then the forecast (dashed) with its 95% band (dotted), joined at the origin month.
    const months = d.history.map(r => r.month).concat(d.forecast.map(r => r.forecast_month));
    const nh = d.history.length, pad = new Array(nh).fill(null);
    const atOrigin = nh ? d.history[nh - 1].ending_mrr : null;
    const tail = (key) => pad.slice(0, Math.max(0, nh - 1)).concat(nh ? [atOrigin] : []).concat(d.forecast.map(r => r[key]));
    const series = [
      { name: 'actual MRR', color: '#1f2933', width: 2.5, values: d.history.map(r => r.ending_mrr).concat(d.forecast.map(() => null)) },
      { name: 'expected MRR', color: COLORS.new, dash: true, width: 2, values: tail('expected_mrr') },
      { name: '95% band', color: COLORS.new, dash: true, width: 0.8, values: tail('expected_mrr_high') },
      { name: 'band low', color: COLORS.new, dash: true, width: 0.8, noLegend: true, values: tail('expected_mrr_low') },
    ];
    lineChart(host, { labels: months.map(m => monthLabel(m)), series: series, yFormat: moneyShort, tipFormat: money, height: 260,
                      tipTitle: i => monthLabel(months[i], true), label: 'MRR forecast' });
    const last = d.forecast[d.forecast.length - 1];
    if (last) html('div', { class: 'note' }, host, 'In 12 months: ' + money(last.expected_mrr) + ' expected (' + money(last.expected_mrr_low) +
                   ' to ' + money(last.expected_mrr_high) + '), ' + num(last.expected_customers, 0) + ' paying customers.');
    // Backtest: the same forecast made at earlier month ends vs what happened (MAPE), beside two naive forecasts.
    const table = html('table', { class: 'list', id: 'forecast-backtest' }, host);
    const head = html('tr', {}, html('thead', {}, table));
    [['Months ahead', ''], ['Origins', 'num'], ['Forecast error', 'num'], ['Last value', 'num'], ['6-month trend', 'num']]
      .forEach(c => html('th', { class: c[1] || null }, head, c[0]));
    const body = html('tbody', {}, table);
    d.backtest.forEach(r => {
      const tr = html('tr', { 'data-months-ahead': r.months_ahead }, body);
      html('td', {}, tr, String(r.months_ahead));
      html('td', { class: 'num' }, tr, num(r.origins));
      html('td', { class: 'num', 'data-beats-naive': r.beats_naive_forecasts == null ? null : String(r.beats_naive_forecasts) }, tr, pct(r.forecast_mape, 1));
      html('td', { class: 'num' }, tr, pct(r.last_value_mape, 1));
      html('td', { class: 'num' }, tr, pct(r.trend_mape, 1));
    });
    html('div', { class: 'note' }, host, 'Error = mean absolute percentage error of the MRR forecast made at every earlier month end with 12 months of history; ' +
         'n/a until the history is long enough.');
  };

  charts.clv_by_segment = function (host, d) {
    // Rows: each segment's total, then its channels; the whole business last.
    const items = d.rows.filter(r => !(r.segment === 'all' && r.acquisition_channel !== 'all')).map(r => ({
      r: r, total: r.acquisition_channel === 'all',
      label: r.segment === 'all' ? 'whole business' : r.acquisition_channel === 'all' ? r.segment + ' (all channels)' : r.acquisition_channel,
    }));
    const W = Math.max(480, Math.round(host.clientWidth) || 640), left = 175, rowH = 20, top = 34, cols = 150;
    const H = top + items.length * rowH + 24, right = W - cols;
    const amounts = finite([].concat.apply([], items.map(i => [i.r.sbg_ltv, i.r.formula_ltv, i.r.cac]))).filter(v => v > 0);
    const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...amounts, 1e3)))), hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...amounts, 1e4))));
    const lx = linear(Math.log10(lo), Math.log10(hi), left + 6, right - 10), xv = v => lx(Math.log10(Math.max(lo, v)));
    const svg = el('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'CLV and LTV:CAC by segment and channel' }, host);
    el('text', { x: left + 6, y: 12, class: 'label' }, svg, 'CAC → LTV per customer (' + CUR + ', log scale)');
    el('text', { x: right + 38, y: 12, 'text-anchor': 'end', class: 'label' }, svg, 'LTV:CAC');
    el('text', { x: right + 88, y: 12, 'text-anchor': 'end', class: 'label' }, svg, 'sBG');
    el('text', { x: W - 4, y: 12, 'text-anchor': 'end', class: 'label' }, svg, 'payback');
    el('text', { x: right + 38, y: 25, 'text-anchor': 'end' }, svg, 'formula');
    el('text', { x: right + 88, y: 25, 'text-anchor': 'end' }, svg, 'LTV:CAC');
    el('text', { x: W - 4, y: 25, 'text-anchor': 'end' }, svg, 'months');
    const logTicks = [];
    for (let t = lo; t <= hi; t *= 10) logTicks.push(t);
    for (const t of logTicks) {
      el('line', { x1: xv(t), x2: xv(t), y1: top - 4, y2: H - 20, stroke: '#e4e7eb' }, svg);
      el('text', { x: xv(t), y: H - 6, 'text-anchor': 'middle' }, svg, moneyShort(t).replace(/\.0+(?=[kM]$)/, ''));
    }
    const multiple = v => v == null ? 'n/a' : v.toFixed(1) + 'x';
    items.forEach((it, i) => {
      const y = top + i * rowH, cy = y + rowH / 2, r = it.r;
      if (it.total) el('rect', { x: 0, y: y, width: W, height: rowH, fill: '#f2f4f7' }, svg);
      fitText(el('text', { x: left - 6, y: cy + 4, 'text-anchor': 'end', class: it.total ? 'label' : null }, svg, it.label), left - 12);
      const ltv = r.sbg_ltv, cac = r.cac, good = r.ltv_to_cac != null && r.ltv_to_cac >= 3;
      if (ltv != null && cac != null && cac > 0) el('line', { x1: xv(cac), x2: xv(ltv), y1: cy, y2: cy, stroke: ltv >= 3 * cac ? '#a5d6a7' : '#ef9a9a', 'stroke-width': 4 }, svg);
      if (cac != null && cac > 0) el('circle', { cx: xv(cac), cy: cy, r: 4.5, fill: '#fb8c00', 'data-value': cac }, svg);
      if (r.formula_ltv != null) el('circle', { cx: xv(r.formula_ltv), cy: cy, r: 4, fill: '#fff', stroke: '#3949ab', 'stroke-width': 1.5 }, svg);
      if (ltv != null) el('circle', { cx: xv(ltv), cy: cy, r: 4.5, fill: '#3949ab', 'data-value': ltv }, svg);
      el('text', { x: right + 38, y: cy + 4, 'text-anchor': 'end', class: 'label', style: 'fill:' + (r.ltv_to_cac == null ? '#616e7c' : good ? '#1e7d32' : '#c62828'),
                   'data-value': r.ltv_to_cac }, svg, multiple(r.ltv_to_cac));
      el('text', { x: right + 88, y: cy + 4, 'text-anchor': 'end' }, svg, multiple(r.sbg_ltv_to_cac));
      el('text', { x: W - 4, y: cy + 4, 'text-anchor': 'end' }, svg, r.cac_payback_months == null ? 'n/a' : r.cac_payback_months.toFixed(1));
      const hit = el('rect', { x: 0, y: y, width: W, height: rowH, fill: 'transparent' }, svg);
      hit.addEventListener('mousemove', evt => showTip(evt, [{ text: r.segment + ' · ' + r.acquisition_channel }, { color: '#3949ab', text: 'LTV (sBG) ' + money(r.sbg_ltv) },
        { text: 'LTV (formula) ' + money(r.formula_ltv) }, { color: '#fb8c00', text: 'CAC ' + money(r.cac) }, { text: 'ARPA ' + money(r.arpa) + ', monthly logo churn ' + pct(r.monthly_logo_churn_rate) },
        { text: 'new customers ' + num(r.new_customers) + ', marketing spend ' + money(r.marketing_spend) }]));
      hit.addEventListener('mouseleave', hideTip);
    });
    legend(host, [{ name: 'CAC', color: '#fb8c00' }, { name: 'LTV (sBG)', color: '#3949ab' }, { name: 'LTV (formula): hollow dot', color: '#c5cae9' },
                  { name: 'LTV ≥ 3 × CAC', color: '#a5d6a7' }, { name: 'LTV < 3 × CAC', color: '#ef9a9a' }]);
    html('div', { class: 'note' }, host, 'Trailing 12 months. LTV:CAC of 3x or more (green) is healthy; n/a where there is no spend (organic) or no churn yet.');
  };

  // ---- render every chart whose mart is there ---------------------------
  let rendered = 0;
  for (const id in D.sections) {
    const section = D.sections[id];
    if (section.status !== 'ok') continue;
    const card = document.querySelector('[data-chart="' + id + '"]');
    const host = document.getElementById('chart-' + id);
    try {
      charts[id](host, section.data);
      if (!host.querySelector('svg')) throw new Error('no SVG drawn');
      card.setAttribute('data-status', 'rendered');
      rendered += 1;
    } catch (err) {
      card.setAttribute('data-status', 'error');
      host.classList.add('placeholder');
      host.textContent = 'This chart failed to render: ' + err.message;
      console.error('chart ' + id + ' failed:', err);
    }
  }
  document.body.setAttribute('data-charts-rendered', String(rendered));
})();
