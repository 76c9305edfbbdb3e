// One scalar chart: plotly draws the axes, zoom and (for a few lines) the lines; beyond that
// many lines go on a canvas, because plotly spends milliseconds per trace and a sweep has a
// thousand. A second canvas shows the hovered run and a step cursor shared by a tag group, and
// a table tooltip lists every line's value at the hovered step.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;
  const PLOTLY_LINES = 40;   // up to this many lines are plotly traces (SVG, native hover)
  const TIP_ROWS = 20;       // the tooltip lists this many lines around the hovered one
  const DASHES = ["solid", "dash", "dot", "dashdot", "longdash"];
  const CANVAS_DASHES = [[], [6, 4], [2, 3], [8, 3, 2, 3], [12, 4]];

  const { escapeText, fmt, nearest, extent } = fb.chartScale;

  // A margin chart's lower and upper at `step` (the band's nearest point), for the tooltip.
  function marginText(band, step) {
    if (!band || !band.x.length) return "";
    const j = nearest(band.x, step);
    return ` (${fmt(band.lo[j])} … ${fmt(band.hi[j])})`;
  }

  class Chart {
    // `opts`: onZoom([lo, hi] in steps, or null), onHover(x or null), height (px).
    constructor(host, opts) {
      this.host = host;
      this.opts = opts;
      this.gd = el("div", { class: "chart" });
      this.lines = el("canvas", { class: "lines" });
      this.overlay = el("canvas", { class: "overlay" });
      this.tip = el("div", { class: "tip", hidden: true });
      host.replaceChildren(this.gd, this.lines, this.overlay, this.tip);
      this.model = null;
      this.zoom = null;        // {x, y} ranges the user zoomed to, in axis units
      this.cursor = null;      // x of the linked step cursor
      this.hover = null;       // {x, y} pixels of the mouse in the plot area
      this.frameKey = "";      // what plotly was last told, to skip needless redraws
      this.axesKey = "";
      this.canvasMode = false;
      host.addEventListener("mousemove", (e) => this.onMove(e));
      host.addEventListener("mouseleave", () => this.onLeave());
    }

    // Draw `model`: {lines, bands, x: {type, title}, y: {type}, outliers}; lines carry
    // run, tag, label, color, x, y (smoothed), raw, step, wall, kind, dash.
    async update(model) {
      if (!window.Plotly) await fb.plotlyReady;
      this.model = model;
      const lines = model.lines;
      this.canvasMode = lines.length > PLOTLY_LINES;
      const xlog = model.x.type === "log", ylog = model.y.type === "log";
      const xr = extent(lines.map((l) => l.x), xlog, false);
      const yr = extent(lines.map((l) => l.raw).concat((model.bands || []).flatMap((b) => [b.lo, b.hi])),
        ylog, model.outliers, lines);
      this.dataRange = { x: xr, y: yr };
      const theme = document.documentElement.dataset.theme;
      const frame = [this.canvasMode, model.x.title, theme, model.height].join("|");
      const axes = JSON.stringify([model.x.type, model.y.type, xr, yr, this.zoom]);
      if (this.canvasMode && this.plotted && frame === this.frameKey) {
        if (axes === this.axesKey) {  // same axes: only the lines change
          this.drawLines();
          this.drawOverlay();
          return;
        }
        // Only the axes move: cheaper for plotly than drawing the chart again.
        this.axesKey = axes;
        const l = this.layout(model, xr, yr);
        this.pending = true;
        this.applying = true;
        try {
          await Plotly.relayout(this.gd, { "xaxis.type": l.xaxis.type, "xaxis.range": l.xaxis.range,
            "xaxis.autorange": l.xaxis.autorange, "yaxis.type": l.yaxis.type, "yaxis.range": l.yaxis.range,
            "yaxis.autorange": l.yaxis.autorange });
        } finally {
          this.applying = false;
        }
        this.afterDraw();
        return;
      }
      this.frameKey = frame;
      this.axesKey = axes;
      const traces = this.canvasMode ? [] : this.traces(model);
      this.pending = true;
      await Plotly.react(this.gd, traces, this.layout(model, xr, yr),
        { displaylogo: false, responsive: true,
          modeBarButtonsToRemove: ["lasso2d", "select2d", "toggleSpikelines", "hoverClosestCartesian", "hoverCompareCartesian"] });
      this.plotted = true;
      if (!this.bound) {
        this.bound = true;
        this.gd.on("plotly_relayout", (ev) => this.onRelayout(ev));
        this.gd.on("plotly_afterplot", () => { this.pending = true; this.afterDraw(); });
      }
      this.afterDraw();
    }

    // Lines and overlay follow each plotly drawing, once.
    afterDraw() {
      if (!this.pending) return;
      this.pending = false;
      this.drawLines();
      this.drawOverlay();
    }

    traces(model) {
      const out = [];
      (model.bands || []).forEach((b) => {
        const meta = { kind: "band", group: b.group, tag: b.tag };
        out.push({ x: b.x, y: b.lo, type: "scatter", mode: "lines", line: { width: 0, color: b.color },
          hoverinfo: "skip", showlegend: false, meta });
        out.push({ x: b.x, y: b.hi, type: "scatter", mode: "lines", line: { width: 0, color: b.color },
          fill: "tonexty", fillcolor: b.fill, hoverinfo: "skip", showlegend: false, meta });
      });
      model.lines.forEach((l, k) => {
        const name = escapeText(l.label);
        const dash = DASHES[(l.dash || 0) % DASHES.length];
        if (l.kind !== "mean") {
          out.push({ x: l.x, y: l.raw, type: "scatter", mode: "lines", name, showlegend: false,
            line: { color: l.color, width: 1, dash }, opacity: 0.25, hoverinfo: "skip",
            meta: { run: l.run, tag: l.tag, kind: "raw" } });
        }
        out.push({ x: l.x, y: l.y, type: "scatter", mode: l.x.length === 1 ? "markers" : "lines", name,
          line: { color: l.color, width: l.kind === "mean" ? 2.5 : 2, dash }, marker: { color: l.color, size: 6 },
          meta: { run: l.run, tag: l.tag, group: l.group, kind: l.kind || "smoothed", index: k },
          hovertemplate: "<b>%{fullData.name}</b><extra></extra>" });
      });
      return out;
    }

    layout(model, xr, yr) {
      const grid = fb.cssVar("--grid");
      const ax = (type, range, zoomed, title) => ({ type, title, zeroline: true, zerolinecolor: grid,
        range: zoomed || range || undefined, autorange: !(zoomed || range),
        exponentformat: "SI", separatethousands: false });
      const z = this.zoom || {};
      return fb.plotLayout({ x: ax(model.x.type, xr, z.x, model.x.title), y: ax(model.y.type, yr, z.y),
        margin: { l: 52, r: 12, t: 8, b: 36 }, height: model.height, dragmode: "zoom" });
    }

    axes() {
      const fl = this.gd._fullLayout;
      return fl && fl.xaxis && fl.xaxis.c2p ? { xa: fl.xaxis, ya: fl.yaxis, size: fl._size } : null;
    }

    place(canvas, a) {
      const dpr = window.devicePixelRatio || 1;
      const w = Math.max(1, Math.round(a.size.w)), h = Math.max(1, Math.round(a.size.h));
      if (canvas.width !== w * dpr || canvas.height !== h * dpr) {
        canvas.width = w * dpr;
        canvas.height = h * dpr;
      }
      canvas.style.cssText = `left:${a.size.l}px;top:${a.size.t}px;width:${w}px;height:${h}px`;
      const ctx = canvas.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      return ctx;
    }

    // data -> pixel as plotly maps it (pixel = _b + _m * linearized value), without a function
    // call per point: a thousand runs are hundreds of thousands of points.
    static mapper(ax) {
      const m = ax._m, b = ax._b;
      if (!Number.isFinite(m) || !Number.isFinite(b)) return (v) => ax.c2p(v);
      return ax.type === "log" ? (v) => b + m * Math.log10(v) : (v) => b + m * v;
    }

    // Hairlines of one device pixel: the fast path of a software canvas (a thousand runs of a
    // few hundred points in tens of milliseconds).
    path(ctx, a, xs, ys) {
      const fx = Chart.mapper(a.xa), fy = Chart.mapper(a.ya);
      let pen = false;
      ctx.beginPath();
      for (let i = 0; i < xs.length; i++) {
        const px = fx(xs[i]), py = fy(ys[i]);
        if (!Number.isFinite(px) || !Number.isFinite(py)) { pen = false; continue; }
        if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
    }

    // A group's band on the canvas: along its upper edge and back along the lower one.
    fillBand(ctx, a, band) {
      const fx = Chart.mapper(a.xa), fy = Chart.mapper(a.ya);
      const pts = [];
      for (let i = 0; i < band.x.length; i++) pts.push([fx(band.x[i]), fy(band.hi[i])]);
      for (let i = band.x.length - 1; i >= 0; i--) pts.push([fx(band.x[i]), fy(band.lo[i])]);
      const ok = pts.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
      if (ok.length < 3) return;
      ctx.fillStyle = band.fill;
      ctx.beginPath();
      ok.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fill();
    }

    drawLines() {
      const a = this.axes();
      if (!a) return;
      const ctx = this.place(this.lines, a);
      this.lines.hidden = !this.canvasMode;
      if (!this.canvasMode || !this.model) return;
      (this.model.bands || []).forEach((b) => this.fillBand(ctx, a, b));
      // Solid lines go straight into the pixels (raster.js); dashed ones (several tags on one
      // chart) are paths.
      const dpr = window.devicePixelRatio || 1;
      const dashed = (l) => (l.dash || 0) % CANVAS_DASHES.length !== 0;
      fb.rasterLines(ctx, this.model.lines.filter((l) => !dashed(l)), Chart.mapper(a.xa), Chart.mapper(a.ya), dpr);
      ctx.lineWidth = 1 / dpr;
      this.model.lines.forEach((l) => {
        if (!dashed(l)) return;
        ctx.strokeStyle = l.color;
        ctx.setLineDash(CANVAS_DASHES[(l.dash || 0) % CANVAS_DASHES.length]);
        this.path(ctx, a, l.x, l.y);
      });
      this.host.dataset.drawn = String((+this.host.dataset.drawn || 0) + 1);
    }

    drawOverlay() {
      const a = this.axes();
      if (!a) return;
      const ctx = this.place(this.overlay, a);
      const x = this.hover ? a.xa.p2c(this.hover.x) : this.cursor;
      if (x !== null && x !== undefined && Number.isFinite(a.xa.c2p(x))) {
        const px = Math.round(a.xa.c2p(x)) + 0.5;
        ctx.strokeStyle = fb.cssVar("--muted");
        ctx.setLineDash([3, 3]);
        ctx.lineWidth = 1;
        ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, a.size.h); ctx.stroke();
        ctx.setLineDash([]);
      }
      const hot = this.hot;
      if (hot && this.model) {
        ctx.strokeStyle = hot.line.color;
        ctx.lineWidth = 2.5;
        if (this.canvasMode) this.path(ctx, a, hot.line.x, hot.line.y);
        ctx.fillStyle = hot.line.color;
        ctx.beginPath();
        ctx.arc(a.xa.c2p(hot.line.x[hot.i]), a.ya.c2p(hot.line.y[hot.i]), 4, 0, 2 * Math.PI);
        ctx.fill();
      }
    }

    showCursor(x) {
      if (this.cursor === x) return;
      this.cursor = x;
      this.drawOverlay();
    }

    onMove(e) {
      const a = this.axes();
      if (!a || !this.model || !this.model.lines.length) return;
      const r = this.gd.getBoundingClientRect();
      const x = e.clientX - r.left - a.size.l, y = e.clientY - r.top - a.size.t;
      if (x < 0 || y < 0 || x > a.size.w || y > a.size.h) { this.onLeave(); return; }
      this.hover = { x, y, clientX: e.clientX, clientY: e.clientY };
      if (this.frame) return;
      this.frame = requestAnimationFrame(() => { this.frame = 0; this.showTip(); });
    }

    onLeave() {
      this.hover = null;
      this.hot = null;
      this.tip.hidden = true;
      this.drawOverlay();
      if (this.opts.onHover) this.opts.onHover(null);
    }

    // Every line's point nearest the hovered x, sorted by value or by nearness to the mouse,
    // the nearest line highlighted.
    rows() {
      const a = this.axes();
      const x = a.xa.p2c(this.hover.x);
      const rows = [];
      this.model.lines.forEach((line) => {
        const i = nearest(line.x, x);
        if (i < 0) return;
        const py = a.ya.c2p(line.y[i]);
        rows.push({ line, i, dist: Number.isFinite(py) ? Math.abs(py - this.hover.y) : Infinity });
      });
      return { x, rows };
    }

    showTip() {
      if (!this.hover) return;
      const { x, rows } = this.rows();
      let hot = null;
      rows.forEach((r) => { if (!hot || r.dist < hot.dist) hot = r; });
      this.hot = hot;
      const byValue = fb.state.tipSort !== "near";
      const key = (r) => { const v = r.line.y[r.i]; return Number.isFinite(v) ? v : -Infinity; };
      rows.sort(byValue ? (p, q) => key(q) - key(p) : (p, q) => p.dist - q.dist);
      // Many lines: a window of the sorted rows around the hovered line.
      const at = Math.max(0, rows.indexOf(hot));
      const start = Math.max(0, Math.min(at - (TIP_ROWS >> 1), rows.length - TIP_ROWS));
      const shown = rows.slice(start, start + TIP_ROWS);
      const t0 = (l) => (l.wall.length ? l.wall[0] : 0);
      const body = shown.map((r) => {
        const l = r.line, i = r.i;
        return el("tr", { class: r === hot ? "hot" : "", "data-run": l.run, "data-tag": l.tag },
          el("td", {}, el("span", { class: "chip", style: "background:" + l.color })),
          el("td", { class: "name", text: l.label }),
          el("td", { class: "num", text: fmt(l.y[i]) }),
          el("td", { class: "num", text: l.kind === "mean" ? "" : fmt(l.raw[i]) + marginText(l.margin, l.step[i]) }),
          el("td", { class: "num", text: String(l.step[i]) }),
          el("td", { class: "num", text: l.wall.length ? fb.duration(l.wall[i] - t0(l)) : "" }),
          el("td", { class: "num", text: l.wall.length ? new Date(l.wall[i] * 1000).toLocaleString() : "" }));
      });
      const above = start, below = rows.length - start - shown.length;
      this.tip.replaceChildren(above ? el("div", { class: "more", text: `+ ${above} more above` }) : "", el("table", {},
        el("thead", {}, el("tr", {}, el("th"), el("th", { text: "Run" }), el("th", { class: "num", text: "Smoothed" }),
          el("th", { class: "num", text: "Value" }), el("th", { class: "num", text: "Step" }),
          el("th", { class: "num", text: "Relative" }), el("th", { class: "num", text: "Time" }))),
        el("tbody", {}, body)),
      below ? el("div", { class: "more", text: `+ ${below} more below` }) : "");
      this.tip.hidden = false;
      const w = this.tip.offsetWidth, h = this.tip.offsetHeight;
      let left = this.hover.clientX + 18, top = this.hover.clientY + 18;
      if (left + w > window.innerWidth - 8) left = Math.max(8, this.hover.clientX - w - 18);
      if (top + h > window.innerHeight - 8) top = Math.max(8, window.innerHeight - h - 8);
      this.tip.style.left = left + "px";
      this.tip.style.top = top + "px";
      this.drawOverlay();
      if (this.opts.onHover) this.opts.onHover(x);
    }

    onRelayout(ev) {
      if (this.applying) return;
      const m = this.model;
      if (!m) return;
      const get = (axis) => {
        if (ev[axis + ".autorange"]) return null;
        const r = ev[axis + ".range"] || [ev[axis + ".range[0]"], ev[axis + ".range[1]"]];
        return r[0] === undefined || r[1] === undefined ? undefined : [+r[0], +r[1]];
      };
      const x = get("xaxis"), y = get("yaxis");
      if (x === undefined && y === undefined) return;
      const z = this.zoom || {};
      if (x !== undefined) z.x = x;
      if (y !== undefined) z.y = y;
      this.zoom = z.x || z.y ? z : null;
      if (x === null || y === null) {  // double click: back to the data's extent
        this.zoom = null;
        this.fit();
      }
      if (x !== undefined && this.opts.onZoom) {
        const steps = x && (m.x.type === "log" ? x.map((v) => Math.pow(10, v)) : x);
        this.opts.onZoom(steps);
      }
    }

    // Axes back to the data: the whole x extent, or with the x zoom kept, y fitted to the data
    // inside it.
    async fit(keepX) {
      const m = this.model;
      if (!m) return;
      let yr = this.dataRange.y;
      const zx = keepX && this.zoom && this.zoom.x;
      if (zx) {
        const lo = m.x.type === "log" ? Math.pow(10, zx[0]) : zx[0], hi = m.x.type === "log" ? Math.pow(10, zx[1]) : zx[1];
        const inside = m.lines.map((l) => {
          const out = [];
          for (let i = 0; i < l.x.length; i++) if (l.x[i] >= lo && l.x[i] <= hi) out.push(l.raw[i]);
          return out;
        });
        yr = extent(inside, m.y.type === "log", false) || yr;
      }
      this.zoom = zx ? { x: zx, y: yr } : null;
      this.applying = true;
      try {
        await Plotly.relayout(this.gd, { "xaxis.range": zx || this.dataRange.x, "yaxis.range": yr,
          "xaxis.autorange": false, "yaxis.autorange": false });
      } finally {
        this.applying = false;
      }
      this.axesKey = "";
    }

    resize() { if (this.plotted) Plotly.Plots.resize(this.gd); }

    purge() { if (this.plotted) Plotly.purge(this.gd); this.plotted = false; }
  }

  fb.Chart = Chart;
})();
