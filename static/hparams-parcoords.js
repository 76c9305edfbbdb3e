// HParams parallel coordinates: one axis per hparam and metric, one SVG line per run, and range
// filters brushed along the axes. SVG rather than plotly's parcoords: that one needs WebGL and
// compiles shaders with eval, which the page's Content-Security-Policy forbids.
"use strict";

(function () {
  const fb = window.flowboard;
  const hp = (fb.hparams = fb.hparams || {});
  const SVG = "http://www.w3.org/2000/svg";
  const HEIGHT = 320;
  const M = { l: 64, r: 64, t: 46, b: 16 };
  // Lines coloured by the first metric, from indigo through teal to amber; on the dark panel
  // the indigo end is lighter so low values stay visible.
  const SCALES = { light: [[63, 81, 181], [18, 165, 148], [245, 159, 0]],
    dark: [[112, 136, 255], [24, 190, 170], [250, 176, 5]] };

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs || {}).forEach(([k, v]) => { if (v !== undefined && v !== null) node.setAttribute(k, v); });
    children.forEach((c) => node.append(c));
    return node;
  }

  function shorten(text, chars) {
    return text.length <= chars ? text : text.slice(0, Math.max(1, chars - 1)) + "…";
  }

  // About `count` round ticks from lo to hi.
  function niceTicks(lo, hi, count) {
    const raw = (hi - lo) / Math.max(1, count);
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = mag * ([1, 2, 5, 10].find((m) => m * mag >= raw) || 10);
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
    return ticks;
  }

  // Where each run sits on a column's axis. Numbers as they are (log10 for wide positive
  // ranges), categories by their index; a run whose value is missing or not finite sits on an
  // extra tick "—" below the others, so it still draws a whole line.
  function axisOf(col, rows) {
    const { asNumber, format, cellValue, MISSING } = hp;
    if (!col.numeric) {
      const cats = [...col.categories, ...(col.missing ? [MISSING] : [])];
      const index = new Map(cats.map((c, i) => [c, i]));
      return { cats, values: rows.map((r) => index.get(format(cellValue(r, col.key)))),
        range: cats.length > 1 ? [0, cats.length - 1] : [-1, 1], tickvals: cats.map((_, i) => i), ticktext: cats };
    }
    const toPlot = col.log ? Math.log10 : (v) => v;
    const fromPlot = col.log ? (v) => 10 ** v : (v) => v;
    let lo = col.min === null ? 0 : toPlot(col.min), hi = col.max === null ? 1 : toPlot(col.max);
    if (hi === lo) { const pad = Math.abs(lo) / 10 || 1; lo -= pad; hi += pad; }  // one value: centred
    const gap = col.missing ? lo - 0.12 * (hi - lo) : null;
    const values = rows.map((r) => {
      const n = asNumber(cellValue(r, col.key));
      return n !== null && Number.isFinite(n) && (!col.log || n > 0) ? toPlot(n) : gap;
    });
    const tickvals = col.log ? niceTicks(Math.ceil(lo), Math.floor(hi), Math.floor(hi) - Math.ceil(lo))
      : niceTicks(lo, hi, 4);
    const ticktext = tickvals.map((v) => format(Number(fromPlot(v).toPrecision(6))));
    if (gap !== null) { tickvals.unshift(gap); ticktext.unshift(MISSING); }
    return { values, range: [gap === null ? lo : gap, hi], tickvals, ticktext, lo, hi, gap, toPlot, fromPlot };
  }

  // A filter as ranges on its axis (a category: a small range around its tick).
  function constraintOf(axis, filter) {
    if (!filter) return [];
    if (axis.cats) {
      return axis.cats.flatMap((c, i) => (filter.in && filter.in.includes(c) ? [[i - 0.2, i + 0.2]] : []));
    }
    const bound = (v, dflt) => {
      const t = v === null || v === undefined ? NaN : axis.toPlot(v);
      return Number.isFinite(t) ? t : dflt;
    };
    let a = bound(filter.lo, axis.lo);
    const b = bound(filter.hi, axis.hi);
    if (filter.missing && axis.gap !== null) a = Math.min(a, axis.gap);
    return [[Math.min(a, b), Math.max(a, b)]];
  }

  // The filter a brushed range [a, b] means: the categories inside it, or the numbers between
  // its ends (an end past the data is no bound), plus missing values when it covers their tick.
  function filterOf(axis, a, b) {
    if (axis.cats) return { in: axis.cats.filter((c, i) => a <= i && i <= b) };
    const round = (v) => Number(axis.fromPlot(v).toPrecision(6));
    const filter = { lo: a <= axis.lo ? null : round(a), hi: b >= axis.hi ? null : round(b) };
    if (axis.gap !== null && a <= axis.gap && axis.gap <= b) filter.missing = true;
    return filter;
  }

  function colour(t) {
    const scale = SCALES[document.documentElement.dataset.theme] || SCALES.light;
    const x = Math.min(1, Math.max(0, t)) * (scale.length - 1), i = Math.min(scale.length - 2, Math.floor(x));
    const mix = scale[i].map((c, k) => Math.round(c + (scale[i + 1][k] - c) * (x - i)));
    return `rgb(${mix.join(",")})`;
  }

  // `key` names everything drawn besides the width and the filters (answer, runs, theme). A new
  // filter only moves the lines that change sides and redraws the brushes: rebuilding 3 000
  // lines would take longer than an interaction may.
  hp.drawParcoords = function (node, { cols, rows, filters, onFilters, key }) {
    const width = Math.max(320, node.clientWidth || 800);
    const base = JSON.stringify([key, width]);
    if (node.hpBase !== base) {
      node.hpBase = base;
      node.hpFilters = null;
      node.hpChart = build(node, cols, rows, width);
    }
    const chart = node.hpChart;
    chart.filters = filters;
    chart.onFilters = onFilters;
    const fsig = JSON.stringify(filters);
    if (node.hpFilters === fsig) return;
    node.hpFilters = fsig;
    const active = cols.filter((c) => filters[c.key]).map((c) => [c, filters[c.key]]);
    rows.forEach((r, k) => {
      const side = active.every(([c, f]) => hp.matches(c, f, hp.cellValue(r, c.key))) ? chart.on : chart.off;
      if (chart.paths[k].parentNode !== side) side.append(chart.paths[k]);
    });
    cols.forEach((c, i) => {
      const { g, axis } = chart.axes[i];
      g.querySelectorAll(".hp-brush:not(.hp-brush-live)").forEach((b) => b.remove());
      constraintOf(axis, filters[c.key]).forEach(([a, b]) => {
        const top = chart.y(axis, Math.min(axis.range[1], b)), bottom = chart.y(axis, Math.max(axis.range[0], a));
        g.insertBefore(svg("rect", { class: "hp-brush", x: -7, width: 14, y: top.toFixed(1),
          height: Math.max(2, bottom - top).toFixed(1) }), g.querySelector(".hp-brush-live"));
      });
    });
  };

  function build(node, cols, rows, width) {
    const axes = cols.map((c) => axisOf(c, rows));
    const span = width - M.l - M.r, step = cols.length > 1 ? span / (cols.length - 1) : 0;
    const xs = cols.map((_, i) => (cols.length > 1 ? M.l + i * step : width / 2));
    const y = (axis, v) => M.t + (axis.range[1] - v) / (axis.range[1] - axis.range[0]) * (HEIGHT - M.t - M.b);
    const value = (axis, py) => axis.range[1] - (py - M.t) / (HEIGHT - M.t - M.b) * (axis.range[1] - axis.range[0]);
    const by = cols.findIndex((c) => c.kind === "metric" && c.numeric);
    const chart = { y, on: svg("g", { class: "hp-lines" }), off: svg("g", { class: "hp-lines hp-off" }) };
    chart.paths = rows.map((r, k) => {
      const d = "M" + xs.map((x, i) => `${x.toFixed(1)},${y(axes[i], axes[i].values[k]).toFixed(1)}`).join("L");
      const v = by >= 0 ? axes[by].values[k] : null;
      const stroke = by < 0 || v === axes[by].gap ? "var(--muted)"
        : colour((v - axes[by].lo) / (axes[by].hi - axes[by].lo || 1));
      return svg("path", { d, class: "hp-line", "data-run": r.run, style: `stroke:${stroke}` });
    });
    chart.on.append(...chart.paths);

    const labelChars = Math.max(5, Math.floor((cols.length > 1 ? step : span) / 8.2) - 1);  // 12px bold
    chart.axes = cols.map((c, i) => {
      const axis = axes[i];
      const g = svg("g", { class: "hp-pc-axis " + c.kind, "data-key": c.key, transform: `translate(${xs[i]},0)` });
      g.append(svg("line", { class: "hp-pc-spine", y1: M.t, y2: HEIGHT - M.b }));
      const right = i === cols.length - 1 && cols.length > 1;  // the last axis labels its ticks on the right
      axis.tickvals.forEach((tv, k) => {
        const py = y(axis, tv).toFixed(1);
        g.append(svg("line", { class: "hp-pc-tick", x1: right ? 4 : -4, x2: 0, y1: py, y2: py }));
        const label = svg("text", { class: "hp-pc-ticktext", x: right ? 7 : -7, y: py, dy: "0.32em",
          "text-anchor": right ? "start" : "end" });
        label.textContent = shorten(String(axis.ticktext[k]), 14);
        label.append(svg("title", {}, String(axis.ticktext[k])));
        g.append(label);
      });
      const title = svg("text", { class: "hp-pc-label", y: M.t - 18, "text-anchor": "middle" });
      title.textContent = shorten(c.label, labelChars);
      title.append(svg("title", {}, c.label));
      g.append(title);
      const live = svg("rect", { class: "hp-brush hp-brush-live", x: -7, width: 14, y: 0, height: 0 });
      const hit = svg("rect", { class: "hp-pc-hit", x: -14, width: 28, y: M.t - 6, height: HEIGHT - M.t - M.b + 12 });
      g.append(live, hit);
      brushable(hit, live, (y0, y1) => {
        const next = { ...chart.filters };
        if (Math.abs(y1 - y0) < 3) delete next[c.key];  // a click clears the axis
        else next[c.key] = filterOf(axis, value(axis, Math.max(y0, y1)), value(axis, Math.min(y0, y1)));
        chart.onFilters(next);
      });
      return { g, axis };
    });
    const root = svg("svg", { class: "hp-pc-svg", width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`,
      role: "img", "aria-label": `Parallel coordinates of ${rows.length} runs` },
    chart.off, chart.on, ...chart.axes.map((a) => a.g));
    node.replaceChildren(root, tooltip(node, (run) => run));
    return chart;
  }

  // Drag along an axis: a live rectangle, then `done(startY, endY)` in the chart's pixels.
  function brushable(hit, live, done) {
    hit.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      hit.setPointerCapture(e.pointerId);
      const top = () => hit.ownerSVGElement.getBoundingClientRect().top;
      const clamp = (py) => Math.min(HEIGHT - M.b, Math.max(M.t, py));
      const y0 = clamp(e.clientY - top());
      let y1 = y0;
      const move = (ev) => {
        y1 = clamp(ev.clientY - top());
        live.setAttribute("y", Math.min(y0, y1).toFixed(1));
        live.setAttribute("height", Math.abs(y1 - y0).toFixed(1));
      };
      const up = () => {
        hit.removeEventListener("pointermove", move);
        hit.removeEventListener("pointerup", up);
        live.setAttribute("height", 0);
        done(y0, y1);
      };
      hit.addEventListener("pointermove", move);
      hit.addEventListener("pointerup", up);
    });
  }

  // The run under the pointer (an element with data-run), described by `textOf(run)` beside it.
  function tooltip(node, textOf) {
    const tip = fb.el("div", { class: "hp-tip", hidden: true });
    node.onmousemove = (e) => {
      const run = e.target.dataset && e.target.dataset.run;
      tip.hidden = !run;
      if (!run) return;
      const box = node.getBoundingClientRect();
      tip.textContent = textOf(run);
      tip.style.left = (e.clientX - box.left + 12) + "px";
      tip.style.top = (e.clientY - box.top + 12) + "px";
    };
    node.onmouseleave = () => { tip.hidden = true; };
    return tip;
  }

  Object.assign(hp, { svg, shorten, tooltip, axisOf });
})();
