// HParams scatter: any two columns against each other, one SVG dot per run, ticked runs in their
// own colours over the others. Drawn by hand like the parallel coordinates: plotly's SVG scatter
// takes ~150 ms for 3 000 points, too slow to follow every filter change.
"use strict";

(function () {
  const fb = window.flowboard;
  const hp = (fb.hparams = fb.hparams || {});
  const HEIGHT = 320;
  const M = { l: 64, r: 18, t: 12, b: 46 };

  // A run's small fixed offset across a category, so runs sharing one do not hide each other.
  function jitter(run) {
    let h = 0;
    for (let k = 0; k < run.length; k++) h = (h * 31 + run.charCodeAt(k)) >>> 0;
    return ((h % 1000) / 1000 - 0.5) * 0.3;
  }

  // Pixel position of a column's values: the parallel-coordinates axis (log and categories
  // alike) with a margin, minus the "missing" tick (runs without a value are not drawn).
  function scale(col, rows, from, to) {
    const axis = hp.axisOf(col, rows);
    const [lo, hi] = axis.cats ? [-0.5, axis.cats.length - 0.5]
      : [axis.lo - 0.04 * (axis.hi - axis.lo), axis.hi + 0.04 * (axis.hi - axis.lo)];
    const px = (v) => from + (v - lo) / (hi - lo) * (to - from);
    const ticks = axis.tickvals.map((v, i) => [v, axis.ticktext[i]]).filter(([v]) => v !== axis.gap);
    const at = rows.map((r, k) => {
      const v = axis.values[k];
      if (v === undefined || (axis.gap !== null && v === axis.gap)) return null;
      return px(axis.cats ? v + jitter(r.run) : v);
    });
    return { at, ticks: ticks.map(([v, text]) => [px(v), String(text)]) };
  }

  hp.drawScatter = function (node, { cols, rows, ticked, x, y, key }) {
    const width = Math.max(320, node.clientWidth || 600);
    const sig = JSON.stringify([key, width, x, y]);
    if (node.hpSig === sig) return;
    node.hpSig = sig;
    const { svg, shorten } = hp;
    const cx = cols.find((c) => c.key === x), cy = cols.find((c) => c.key === y);
    const sx = scale(cx, rows, M.l, width - M.r), sy = scale(cy, rows, HEIGHT - M.b, M.t);
    const grid = svg("g", { class: "hp-sc-grid" });
    sx.ticks.forEach(([px, text]) => {
      grid.append(svg("line", { x1: px.toFixed(1), x2: px.toFixed(1), y1: M.t, y2: HEIGHT - M.b }));
      const label = svg("text", { class: "hp-sc-tick hp-sc-xtick", x: px.toFixed(1), y: HEIGHT - M.b + 15,
        "text-anchor": "middle" });
      label.textContent = shorten(text, 12);
      label.append(svg("title", {}, text));
      grid.append(label);
    });
    sy.ticks.forEach(([py, text]) => {
      grid.append(svg("line", { x1: M.l, x2: width - M.r, y1: py.toFixed(1), y2: py.toFixed(1) }));
      const label = svg("text", { class: "hp-sc-tick hp-sc-ytick", x: M.l - 7, y: py.toFixed(1), dy: "0.32em",
        "text-anchor": "end" });
      label.textContent = shorten(text, 9);
      label.append(svg("title", {}, text));
      grid.append(label);
    });
    const xtitle = svg("text", { class: "hp-sc-title hp-sc-xtitle", x: (M.l + width - M.r) / 2, y: HEIGHT - 8,
      "text-anchor": "middle" });
    xtitle.textContent = cx.label;
    const ytitle = svg("text", { class: "hp-sc-title hp-sc-ytitle", "text-anchor": "middle",
      transform: `translate(14,${(M.t + HEIGHT - M.b) / 2}) rotate(-90)` });
    ytitle.textContent = cy.label;
    const off = svg("g", { class: "hp-dots hp-off" }), on = svg("g", { class: "hp-dots" });
    rows.forEach((r, k) => {
      if (sx.at[k] === null || sy.at[k] === null) return;
      const isOn = ticked.has(r.run);
      (isOn ? on : off).append(svg("circle", { class: "hp-dot", "data-run": r.run, r: isOn ? 4.5 : 3.5,
        cx: sx.at[k].toFixed(1), cy: sy.at[k].toFixed(1), style: isOn ? `fill:${fb.runColor(r.run)}` : null }));
    });
    const frame = svg("rect", { class: "hp-sc-frame", x: M.l, y: M.t, width: width - M.l - M.r, height: HEIGHT - M.t - M.b });
    const chart = svg("svg", { class: "hp-sc-svg", width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`,
      role: "img", "aria-label": `${cy.label} against ${cx.label}` }, frame, grid, xtitle, ytitle, off, on);
    const byRun = new Map(rows.map((r) => [r.run, r]));
    node.replaceChildren(chart, hp.tooltip(node, (run) => {
      const r = byRun.get(run);
      return `${run}\n${cx.label} = ${hp.format(hp.cellValue(r, cx.key))}\n${cy.label} = ${hp.format(hp.cellValue(r, cy.key))}`;
    }));
  };
})();
